#!/usr/bin/python3
"""Writes tests/fixtures/reference.safetensors the way the PyTorch / Hugging Face world does.

Standard library only (struct + json), following the safetensors specification:
    8 bytes   little-endian u64 N, the length of the header
    N bytes   UTF-8 JSON: {"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}, ...}
              padded with spaces to a multiple of 8
    rest      the tensors' raw little-endian bytes, offsets relative to the end of the header

Like the reference writer (and unlike ember), it lays the data out by dtype alignment, largest
first, then by name, and writes the header keys in that order with __metadata__ first; so the
file also checks that ember reads layouts it would not write itself.

    /usr/bin/python3 tools/gen_safetensors_fixture.py
tests/core/test_safetensors.cpp holds the same values and checks that ember loads them.
"""
import json
import pathlib
import struct


def bf16(values):
    # bfloat16 is the top half of a float32; these values are exact in bfloat16.
    return b"".join(struct.pack("<I", v)[2:] for v in
                    (struct.unpack("<I", struct.pack("<f", x))[0] for x in values))


TENSORS = {
    # name: (dtype, shape, bytes)
    "weight": ("F32", [2, 3], struct.pack("<6f", 1.0, -2.5, 0.125, 3.0e-3, 1.0e30, -0.0)),
    "bias": ("F64", [3], struct.pack("<3d", 0.1, -1.0e-300, 12345.678)),
    "ids": ("I64", [4], struct.pack("<4q", 0, -1, 2**62, -(2**63))),
    "mask": ("BOOL", [2, 2], bytes([1, 0, 0, 1])),
    "half": ("F16", [5], struct.pack("<5e", 1.0, -0.5, 65504.0, 2.0**-24, float("inf"))),
    "brain": ("BF16", [3], bf16([1.5, -2.0, 0.15625])),
    "int32": ("I32", [2], struct.pack("<2i", -7, 2**31 - 1)),
    "int16": ("I16", [2], struct.pack("<2h", -300, 32767)),
    "int8": ("I8", [3], struct.pack("<3b", -128, 0, 127)),
    "uint8": ("U8", [3], bytes([0, 128, 255])),
    "scalar": ("F32", [], struct.pack("<f", 42.0)),
    "empty": ("F32", [0, 4], b""),
}

ALIGNMENT = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2,
             "I8": 1, "U8": 1, "BOOL": 1}


def main():
    order = sorted(TENSORS, key=lambda n: (-ALIGNMENT[TENSORS[n][0]], n))
    header = {"__metadata__": {"format": "pt", "source": "gen_safetensors_fixture.py"}}
    data = b""
    for name in order:
        dtype, shape, raw = TENSORS[name]
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    out = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/reference.safetensors"
    out.write_bytes(struct.pack("<Q", len(text)) + text + data)
    print(f"wrote {out} ({8 + len(text) + len(data)} bytes)")


if __name__ == "__main__":
    main()
