"""`pyspark.sql.types`: SQLFrame's, with PySpark's spellings where SQLFrame's differ (`decimal(12,2)`,
`map<string,int>`, `struct<a:int,b:string>`), and a `Row` that keeps its values as given (SQLFrame's turns a
Decimal into a float)."""

from __future__ import annotations

from typing import Any

from sqlframe.standalone import types as _base
from sqlframe.standalone.types import *  # noqa: F403


class DecimalType(_base.DecimalType):  # type: ignore[no-redef]
    def simpleString(self) -> str:
        return f"decimal({self.precision},{self.scale})"

    def jsonValue(self) -> str:
        return self.simpleString()


class MapType(_base.MapType):  # type: ignore[no-redef]
    def simpleString(self) -> str:
        return f"map<{self.keyType.simpleString()},{self.valueType.simpleString()}>"


class StructType(_base.StructType):  # type: ignore[no-redef]
    def simpleString(self) -> str:
        return f"struct<{','.join(f.simpleString() for f in self)}>"


class Row(_base.Row):  # type: ignore[no-redef]
    """PySpark's Row: `Row(name="Alice", age=11)`, `Row("name", "age")("Alice", 11)`; values kept as given."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Row:  # type: ignore[misc]
        if args and kwargs:
            raise ValueError("Row: give either values or named values, not both")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row.__fields__ = list(kwargs)
            return row
        return tuple.__new__(cls, args)


def spark_types(value: Any) -> Any:
    """A SQLFrame type with PySpark's spellings (these classes), its fields and elements too."""
    if isinstance(value, _base.DecimalType) and not isinstance(value, DecimalType):
        return DecimalType(value.precision, value.scale)
    if isinstance(value, _base.MapType):
        return MapType(spark_types(value.keyType), spark_types(value.valueType), value.valueContainsNull)
    if isinstance(value, _base.ArrayType):
        return _base.ArrayType(spark_types(value.elementType), value.containsNull)
    if isinstance(value, _base.StructType):
        return StructType([_base.StructField(f.name, spark_types(f.dataType), f.nullable) for f in value])
    return value
