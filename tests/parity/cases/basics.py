"""Reading the edge tables as they are, and literals of every type."""

from tests.parity.corpus import case

CASES = [
    case("basic_literals", "SELECT 1 AS one, 'x' AS s, true AS b"),
    *[
        case(f"read_{name}", f"SELECT * FROM {name}")
        for name in ("nums", "limits", "strs", "times", "nested", "jsons", "sales")
    ],
]
