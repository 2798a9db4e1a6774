from sentry_puppet.cli import main

raise SystemExit(main())
