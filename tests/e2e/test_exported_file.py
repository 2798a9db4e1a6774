"""The stack alone, before the module is involved: one node exports an @@file, another
collects it through PuppetDB. When this fails, the round trip's failure is the stack's.

It uses an environment of its own (`exported`), so the round-trip test's site.pp is untouched.
"""
import os
import time

from tests.e2e.stack import Agent, write

SITE_PP = """
node 'exporter.example.com' {{
  @@file {{ '{target}':
    content => "exported by ${{trusted['certname']}}\\n",
    tag     => 'e2e_smoke',
  }}
}}

node 'collector.example.com' {{
  File <<| tag == 'e2e_smoke' |>>
}}
"""


def test_a_file_exported_by_one_node_is_collected_by_another(stack, capsys):
    target = os.path.join(stack.root, "collected", "from-exporter")
    os.makedirs(os.path.dirname(target))
    environment = os.path.join(stack.code, "environments", "exported")
    write(os.path.join(environment, "manifests", "site.pp"), SITE_PP.format(target=target))
    exporter = Agent(stack, "exporter.example.com", environment="exported")
    collector = Agent(stack, "collector.example.com", environment="exported")
    times = []

    code, output, seconds = exporter.run()
    times.append(("exporter run 1 (CSR, autosign, export)", seconds))
    assert code in (0, 2), output[-6000:]
    assert not os.path.exists(target), "an exported resource must not be applied on its exporter"
    mark = time.monotonic()
    [resource] = stack.wait_for_exports("exporter.example.com", 1)
    times.append(("puppetdb stores the export", time.monotonic() - mark))
    assert (resource["type"], resource["title"]) == ("File", target)

    code, output, seconds = collector.run()
    times.append(("collector run 1 (collects the file)", seconds))
    assert code == 2, output[-6000:]
    with open(target) as handle:
        assert handle.read() == "exported by exporter.example.com\n"

    code, output, seconds = collector.run()
    times.append(("collector run 2 (no change)", seconds))
    assert code == 0, output[-6000:]

    with capsys.disabled():
        print("\n== e2e stack and @@file round trip (wall seconds) ==")
        for label, value in list(("stack: " + k, v) for k, v in stack.timings.items()) + times:
            print("  %-48s %6.1f" % (label, value))
        for name, mib in stack.peak_memory().items():
            print("  peak RSS %-39s %6.0f MiB" % (name, mib or 0))
