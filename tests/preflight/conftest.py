"""Make the corpus helpers (_corpus.py) importable whatever pytest's import mode is."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
