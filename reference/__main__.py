"""`python -m reference`: the instructor's reference run (see reference/run.py, or --help)."""
from reference.run import main

raise SystemExit(main())
