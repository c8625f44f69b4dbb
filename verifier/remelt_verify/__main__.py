import sys

from remelt_verify.cli import main

sys.exit(main())
