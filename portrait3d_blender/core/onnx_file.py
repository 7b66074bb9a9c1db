"""What an ONNX file declares, read straight from its protobuf bytes: metadata, inputs, outputs, weights.

The `onnx` package is not bundled with the add-on, and OpenCV only says whether it could build a network, in
many lines, after allocating what the file asks for. This reads the few fields a loader must check first, in
pure Python over a memoryview (no copies): every length is checked against the bytes that are really there,
so a truncated or random file is refused instead of read past its end.

Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
"""

from dataclasses import dataclass, field

import numpy as np

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5

# TensorProto.DataType values of the floating types, with their numpy dtype, and the byte size of the others.
FLOAT = 1
_FLOAT_DTYPES = {1: np.dtype("<f4"), 10: np.dtype("<f2"), 11: np.dtype("<f8")}
_OTHER_ITEM_SIZES = {2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 12: 4, 13: 8}
_TENSOR_LOCATION_EXTERNAL = 1
TYPE_NAMES = {0: "no tensor type", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
              7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64",
              16: "bfloat16"}


class MalformedModel(ValueError):
    """The bytes are not a well-formed ONNX protobuf (truncated, random, or fields of the wrong kind)."""


@dataclass
class Tensor:
    name: str
    data_type: int
    dims: tuple
    raw: memoryview | None = None  # raw_data
    packed: memoryview | None = None  # float_data / int32_data / double_data, packed
    external: bool = False

    def float_values(self):
        """The values of a floating-point tensor as a numpy array (a view), or None for other types."""
        dtype = _FLOAT_DTYPES.get(self.data_type)
        if dtype is None:
            return None
        if self.raw is not None:
            if len(self.raw) % dtype.itemsize:
                raise MalformedModel(f"tensor '{self.name}' has {len(self.raw)} bytes, not whole values")
            return np.frombuffer(self.raw, dtype=dtype)
        if self.packed is None:
            return np.zeros(0, dtype)
        if self.data_type == 10:  # float16 travels as int32_data: one varint per element, the bits in the low 16
            return np.array(_int64s(self.packed, _LENGTH), dtype=np.int64).astype(np.uint16).view(np.float16)
        if len(self.packed) % dtype.itemsize:
            raise MalformedModel(f"tensor '{self.name}' has {len(self.packed)} bytes, not whole values")
        return np.frombuffer(self.packed, dtype=dtype)

    def byte_size_mismatch(self):
        """A line saying how raw_data disagrees with the declared shape, or '' when they agree."""
        if self.raw is None:
            return ""
        item = _FLOAT_DTYPES[self.data_type].itemsize if self.data_type in _FLOAT_DTYPES else \
            _OTHER_ITEM_SIZES.get(self.data_type)
        if item is None or any(d < 0 for d in self.dims):
            return ""
        expected = item * int(np.prod(self.dims, dtype=np.int64))
        if len(self.raw) != expected:
            return f"{len(self.raw):,} bytes of data for shape {list(self.dims)} ({expected:,} expected)"
        return ""


@dataclass
class ValueInfo:
    name: str
    elem_type: int  # 0 when the type is not a tensor
    dims: tuple  # ints, or strings for symbolic dimensions, or None for an unknown one


@dataclass
class ModelInfo:
    metadata: dict = field(default_factory=dict)
    has_graph: bool = False
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    tensors: list = field(default_factory=list)  # initializers, then constants held by nodes
    ir_version: int = 0


def _varint(data, position, end):
    result = shift = 0
    while True:
        if position >= end:
            raise MalformedModel("it ends inside a number")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise MalformedModel("a number in it is longer than 10 bytes")


def _fields(data, start=0, end=None):
    """(field number, wire type, value) of one message: value is an int, or a memoryview for bytes."""
    end = len(data) if end is None else end
    position = start
    while position < end:
        key, position = _varint(data, position, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise MalformedModel("it has a field numbered 0")
        if wire == _VARINT:
            value, position = _varint(data, position, end)
        elif wire == _LENGTH:
            length, position = _varint(data, position, end)
            if length > end - position:
                raise MalformedModel(f"a field claims {length:,} bytes where {end - position:,} remain")
            value, position = data[position:position + length], position + length
        elif wire in (_FIXED64, _FIXED32):
            size = 8 if wire == _FIXED64 else 4
            if size > end - position:
                raise MalformedModel("it ends inside a fixed-size field")
            value, position = int.from_bytes(data[position:position + size], "little"), position + size
        else:
            raise MalformedModel(f"it uses protobuf wire type {wire}, which ONNX never writes")
        yield number, wire, value


def _text(value, wire):
    if wire != _LENGTH:
        raise MalformedModel("a name or string field is not a string")
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedModel("a name or string field is not UTF-8 text") from None


def _message(value, wire):
    if wire != _LENGTH:
        raise MalformedModel("a nested message is stored as a number")
    return value


def _int64s(value, wire):
    """A repeated int64 field, packed (proto3) or one element."""
    if wire == _VARINT:
        return [value - (1 << 64) if value >= 1 << 63 else value]
    values, position, end = [], 0, len(value)
    while position < end:
        number, position = _varint(value, position, end)
        values.append(number - (1 << 64) if number >= 1 << 63 else number)
    return values


def _tensor(data):
    name, data_type, dims, raw, packed, external = "", 0, [], None, None, False
    for number, wire, value in _fields(data):
        if number == 1:
            dims += _int64s(value, wire)
        elif number == 2 and wire == _VARINT:
            data_type = value
        elif number == 8:
            name = _text(value, wire)
        elif number == 9:
            raw = _message(value, wire)
        elif number in (4, 5, 10) and wire == _LENGTH:  # float_data, int32_data (float16), double_data: packed
            packed = value
        elif number == 14 and wire == _VARINT:
            external = value == _TENSOR_LOCATION_EXTERNAL
        elif number == 13:  # external_data entries
            external = True
    return Tensor(name, data_type, tuple(dims), raw, packed, external)


def _value_info(data):
    name, elem_type, dims = "", 0, ()
    for number, wire, value in _fields(data):
        if number == 1:
            name = _text(value, wire)
        elif number == 2:
            for type_number, type_wire, tensor_type in _fields(_message(value, wire)):
                if type_number != 1:  # only TypeProto.tensor_type is a plain tensor
                    continue
                for tensor_number, tensor_wire, tensor_value in _fields(_message(tensor_type, type_wire)):
                    if tensor_number == 1 and tensor_wire == _VARINT:
                        elem_type = tensor_value
                    elif tensor_number == 2:
                        dims = tuple(_dims(_message(tensor_value, tensor_wire)))
    return ValueInfo(name, elem_type, dims)


def _dims(shape):
    for number, wire, dimension in _fields(shape):
        if number != 1:
            continue
        size = None
        for dim_number, dim_wire, value in _fields(_message(dimension, wire)):
            if dim_number == 1 and dim_wire == _VARINT:
                size = value
            elif dim_number == 2:
                size = _text(value, dim_wire)
        yield size


def _node_tensors(node):
    """Tensors held in a node's attributes (a Constant's `value`, any attribute's `t` or `tensors`)."""
    for number, wire, attribute in _fields(node):
        if number != 5:
            continue
        for attribute_number, attribute_wire, value in _fields(_message(attribute, wire)):
            if attribute_number in (5, 10):
                yield _tensor(_message(value, attribute_wire))


def read_model(data):
    """`ModelInfo` of the ONNX model in `data` (bytes). Raises `MalformedModel` when it is not protobuf."""
    data = memoryview(data)
    info = ModelInfo()
    graphs = []
    for number, wire, value in _fields(data):
        if number == 1 and wire == _VARINT:
            info.ir_version = value
        elif number == 7:
            graphs.append(_message(value, wire))
        elif number == 14:
            key = entry = ""
            for entry_number, entry_wire, entry_value in _fields(_message(value, wire)):
                if entry_number == 1:
                    key = _text(entry_value, entry_wire)
                elif entry_number == 2:
                    entry = _text(entry_value, entry_wire)
            info.metadata[key] = entry
    if len(graphs) > 1:
        raise MalformedModel("it holds more than one graph")
    info.has_graph = bool(graphs)
    for graph in graphs:
        for number, wire, value in _fields(graph):
            if number == 1:
                info.tensors += _node_tensors(_message(value, wire))
            elif number == 5:
                info.tensors.append(_tensor(_message(value, wire)))
            elif number == 11:
                info.inputs.append(_value_info(_message(value, wire)))
            elif number == 12:
                info.outputs.append(_value_info(_message(value, wire)))
    return info
