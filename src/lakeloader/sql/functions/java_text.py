"""Java's text rules that DuckDB's built-ins do not share, as data: case mappings (Spark's upper, lower and
initcap are Java's, with SpecialCasing: `upper('ß')` is `SS`, `lower('ΑΣ')` ends in a final sigma).

The tables were read from Spark 4.3 on Java 21 for every assigned code point, against DuckDB 2.0's `upper`.
"""

from __future__ import annotations

UPPER: dict[str, str] = {  # Java's upper case where DuckDB's differs (full mappings: ß is SS)
    "\u00df": "SS", "\u0149": "\u02bcN", "\u019b": "\ua7dc", "\u01f0": "J\u030c", "\u0264": "\ua7cb",
    "\u0390": "\u0399\u0308\u0301", "\u03b0": "\u03a5\u0308\u0301", "\u0587": "\u0535\u0552", "\u1e96": "H\u0331",
    "\u1e97": "T\u0308", "\u1e98": "W\u030a", "\u1e99": "Y\u030a", "\u1e9a": "A\u02be", "\u1f50": "\u03a5\u0313",
    "\u1f52": "\u03a5\u0313\u0300", "\u1f54": "\u03a5\u0313\u0301", "\u1f56": "\u03a5\u0313\u0342",
    "\u1f80": "\u1f08\u0399", "\u1f81": "\u1f09\u0399", "\u1f82": "\u1f0a\u0399", "\u1f83": "\u1f0b\u0399",
    "\u1f84": "\u1f0c\u0399", "\u1f85": "\u1f0d\u0399", "\u1f86": "\u1f0e\u0399", "\u1f87": "\u1f0f\u0399",
    "\u1f88": "\u1f08\u0399", "\u1f89": "\u1f09\u0399", "\u1f8a": "\u1f0a\u0399", "\u1f8b": "\u1f0b\u0399",
    "\u1f8c": "\u1f0c\u0399", "\u1f8d": "\u1f0d\u0399", "\u1f8e": "\u1f0e\u0399", "\u1f8f": "\u1f0f\u0399",
    "\u1f90": "\u1f28\u0399", "\u1f91": "\u1f29\u0399", "\u1f92": "\u1f2a\u0399", "\u1f93": "\u1f2b\u0399",
    "\u1f94": "\u1f2c\u0399", "\u1f95": "\u1f2d\u0399", "\u1f96": "\u1f2e\u0399", "\u1f97": "\u1f2f\u0399",
    "\u1f98": "\u1f28\u0399", "\u1f99": "\u1f29\u0399", "\u1f9a": "\u1f2a\u0399", "\u1f9b": "\u1f2b\u0399",
    "\u1f9c": "\u1f2c\u0399", "\u1f9d": "\u1f2d\u0399", "\u1f9e": "\u1f2e\u0399", "\u1f9f": "\u1f2f\u0399",
    "\u1fa0": "\u1f68\u0399", "\u1fa1": "\u1f69\u0399", "\u1fa2": "\u1f6a\u0399", "\u1fa3": "\u1f6b\u0399",
    "\u1fa4": "\u1f6c\u0399", "\u1fa5": "\u1f6d\u0399", "\u1fa6": "\u1f6e\u0399", "\u1fa7": "\u1f6f\u0399",
    "\u1fa8": "\u1f68\u0399", "\u1fa9": "\u1f69\u0399", "\u1faa": "\u1f6a\u0399", "\u1fab": "\u1f6b\u0399",
    "\u1fac": "\u1f6c\u0399", "\u1fad": "\u1f6d\u0399", "\u1fae": "\u1f6e\u0399", "\u1faf": "\u1f6f\u0399",
    "\u1fb2": "\u1fba\u0399", "\u1fb3": "\u0391\u0399", "\u1fb4": "\u0386\u0399", "\u1fb6": "\u0391\u0342",
    "\u1fb7": "\u0391\u0342\u0399", "\u1fbc": "\u0391\u0399", "\u1fc2": "\u1fca\u0399", "\u1fc3": "\u0397\u0399",
    "\u1fc4": "\u0389\u0399", "\u1fc6": "\u0397\u0342", "\u1fc7": "\u0397\u0342\u0399", "\u1fcc": "\u0397\u0399",
    "\u1fd2": "\u0399\u0308\u0300", "\u1fd3": "\u0399\u0308\u0301", "\u1fd6": "\u0399\u0342",
    "\u1fd7": "\u0399\u0308\u0342", "\u1fe2": "\u03a5\u0308\u0300", "\u1fe3": "\u03a5\u0308\u0301",
    "\u1fe4": "\u03a1\u0313", "\u1fe6": "\u03a5\u0342", "\u1fe7": "\u03a5\u0308\u0342", "\u1ff2": "\u1ffa\u0399",
    "\u1ff3": "\u03a9\u0399", "\u1ff4": "\u038f\u0399", "\u1ff6": "\u03a9\u0342", "\u1ff7": "\u03a9\u0342\u0399",
    "\u1ffc": "\u03a9\u0399", "\ua7d3": "\ua7d2", "\ua7d5": "\ua7d4", "\ufb00": "FF", "\ufb01": "FI",
    "\ufb02": "FL", "\ufb03": "FFI", "\ufb04": "FFL", "\ufb05": "ST", "\ufb06": "ST", "\ufb13": "\u0544\u0546",
    "\ufb14": "\u0544\u0535", "\ufb15": "\u0544\u053b", "\ufb16": "\u054e\u0546", "\ufb17": "\u0544\u053d",
}  # fmt: skip

TITLE: dict[str, str] = {  # Java's title case of a word's first letter where it is not its upper case
    "\u00df": "Ss", "\u01c4": "\u01c5", "\u01c5": "\u01c5", "\u01c6": "\u01c5", "\u01c7": "\u01c8",
    "\u01c8": "\u01c8", "\u01c9": "\u01c8", "\u01ca": "\u01cb", "\u01cb": "\u01cb", "\u01cc": "\u01cb",
    "\u01f1": "\u01f2", "\u01f2": "\u01f2", "\u01f3": "\u01f2", "\u0587": "\u0535\u0582", "\u10d0": "\u10d0",
    "\u10d1": "\u10d1", "\u10d2": "\u10d2", "\u10d3": "\u10d3", "\u10d4": "\u10d4", "\u10d5": "\u10d5",
    "\u10d6": "\u10d6", "\u10d7": "\u10d7", "\u10d8": "\u10d8", "\u10d9": "\u10d9", "\u10da": "\u10da",
    "\u10db": "\u10db", "\u10dc": "\u10dc", "\u10dd": "\u10dd", "\u10de": "\u10de", "\u10df": "\u10df",
    "\u10e0": "\u10e0", "\u10e1": "\u10e1", "\u10e2": "\u10e2", "\u10e3": "\u10e3", "\u10e4": "\u10e4",
    "\u10e5": "\u10e5", "\u10e6": "\u10e6", "\u10e7": "\u10e7", "\u10e8": "\u10e8", "\u10e9": "\u10e9",
    "\u10ea": "\u10ea", "\u10eb": "\u10eb", "\u10ec": "\u10ec", "\u10ed": "\u10ed", "\u10ee": "\u10ee",
    "\u10ef": "\u10ef", "\u10f0": "\u10f0", "\u10f1": "\u10f1", "\u10f2": "\u10f2", "\u10f3": "\u10f3",
    "\u10f4": "\u10f4", "\u10f5": "\u10f5", "\u10f6": "\u10f6", "\u10f7": "\u10f7", "\u10f8": "\u10f8",
    "\u10f9": "\u10f9", "\u10fa": "\u10fa", "\u10fd": "\u10fd", "\u10fe": "\u10fe", "\u10ff": "\u10ff",
    "\u1f80": "\u1f88", "\u1f81": "\u1f89", "\u1f82": "\u1f8a", "\u1f83": "\u1f8b", "\u1f84": "\u1f8c",
    "\u1f85": "\u1f8d", "\u1f86": "\u1f8e", "\u1f87": "\u1f8f", "\u1f88": "\u1f88", "\u1f89": "\u1f89",
    "\u1f8a": "\u1f8a", "\u1f8b": "\u1f8b", "\u1f8c": "\u1f8c", "\u1f8d": "\u1f8d", "\u1f8e": "\u1f8e",
    "\u1f8f": "\u1f8f", "\u1f90": "\u1f98", "\u1f91": "\u1f99", "\u1f92": "\u1f9a", "\u1f93": "\u1f9b",
    "\u1f94": "\u1f9c", "\u1f95": "\u1f9d", "\u1f96": "\u1f9e", "\u1f97": "\u1f9f", "\u1f98": "\u1f98",
    "\u1f99": "\u1f99", "\u1f9a": "\u1f9a", "\u1f9b": "\u1f9b", "\u1f9c": "\u1f9c", "\u1f9d": "\u1f9d",
    "\u1f9e": "\u1f9e", "\u1f9f": "\u1f9f", "\u1fa0": "\u1fa8", "\u1fa1": "\u1fa9", "\u1fa2": "\u1faa",
    "\u1fa3": "\u1fab", "\u1fa4": "\u1fac", "\u1fa5": "\u1fad", "\u1fa6": "\u1fae", "\u1fa7": "\u1faf",
    "\u1fa8": "\u1fa8", "\u1fa9": "\u1fa9", "\u1faa": "\u1faa", "\u1fab": "\u1fab", "\u1fac": "\u1fac",
    "\u1fad": "\u1fad", "\u1fae": "\u1fae", "\u1faf": "\u1faf", "\u1fb2": "\u1fba\u0345", "\u1fb3": "\u1fbc",
    "\u1fb4": "\u0386\u0345", "\u1fb7": "\u0391\u0342\u0345", "\u1fbc": "\u1fbc", "\u1fc2": "\u1fca\u0345",
    "\u1fc3": "\u1fcc", "\u1fc4": "\u0389\u0345", "\u1fc7": "\u0397\u0342\u0345", "\u1fcc": "\u1fcc",
    "\u1ff2": "\u1ffa\u0345", "\u1ff3": "\u1ffc", "\u1ff4": "\u038f\u0345", "\u1ff7": "\u03a9\u0342\u0345",
    "\u1ffc": "\u1ffc", "\ufb00": "Ff", "\ufb01": "Fi", "\ufb02": "Fl", "\ufb03": "Ffi", "\ufb04": "Ffl",
    "\ufb05": "St", "\ufb06": "St", "\ufb13": "\u0544\u0576", "\ufb14": "\u0544\u0565", "\ufb15": "\u0544\u056b",
    "\ufb16": "\u054e\u0576", "\ufb17": "\u0544\u056d",
}  # fmt: skip

# Java lowers a capital sigma to a final sigma at the end of a word (Unicode's Final_Sigma: a cased letter before
# it in the word, none after it). Words as Java's BreakIterator sees them, closely enough: letters, marks, digits
# and connectors, with . ' : · ’ inside a word between letters.
_CASED = r"\p{Lu}\p{Ll}\p{Lt}"
_IN_WORD = r"\p{M}\p{Lm}\p{N}\p{Pc}"
_MID = "'.:\u00b7\u2019"
FINAL_SIGMA = (
    rf"([{_CASED}][{_IN_WORD}{_MID}]*)\x{{3a3}}([{_IN_WORD}]*)"
    rf"(\z|[^{_CASED}{_IN_WORD}{_MID}]|[{_MID}](?:\z|[^{_CASED}]))"
)
