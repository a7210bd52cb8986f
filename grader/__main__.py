"""`python -m grader PATH...` is the `grade` command."""

from grader.cli import main

raise SystemExit(main())
