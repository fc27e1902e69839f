"""Make k3s_files (the schema validator beside these tests) importable."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
