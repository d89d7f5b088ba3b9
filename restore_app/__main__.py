from restore_app.cli.main import main

raise SystemExit(main())
