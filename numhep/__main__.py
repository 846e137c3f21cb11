import sys

from numhep.cli import main

sys.exit(main())
