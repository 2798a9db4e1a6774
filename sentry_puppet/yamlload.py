"""YAML for config.yaml and the definition files: safe, and a key given twice is an error
naming its line (PyYAML keeps the last silently: `url` twice would pass unnoticed)."""
import yaml
from yaml.constructor import ConstructorError

# libyaml's loader when PyYAML has it: thousands of small files parse several times faster.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":   # `<<: *defaults`: not a key
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    seen = key in first
                except TypeError:   # an unhashable key: the base class names it
                    continue
                if seen:
                    raise ConstructorError(
                        None, None, "key %r given twice (first on line %d); keep one"
                        % (key, first[key] + 1), key_node.start_mark)
                first[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load(text):
    """The YAML document in `text`; yaml.YAMLError (with a line) when it is not valid."""
    return yaml.load(text, Loader=_Loader)
