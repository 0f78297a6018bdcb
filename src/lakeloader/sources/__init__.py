"""Sources: one folder per source behind one Source protocol."""
