"""XXH3-128 (seed 0, default secret) in pure Python.

This is the hash behind ``event_id`` (see docs/contract.md §2 step 3): the 128-bit XXH3 value of
the trimmed line, stored big-endian (high 64 bits first), which is xxHash's canonical form and
what ``u128::to_be_bytes`` gives on the Rust side. It follows the reference implementation
(xxhash.h, XXH3_128bits) branch by branch, so the length classes 0, 1-3, 4-8, 9-16, 17-128,
129-240 and >240 each mirror their C counterpart. It is slow; it exists so that the pure-Python
reference reader needs nothing outside the standard library.
"""

from __future__ import annotations

import struct

__all__ = ["xxh3_128", "xxh3_128_digest"]

_M64 = 0xFFFFFFFFFFFFFFFF
_M32 = 0xFFFFFFFF

_PRIME32_1 = 0x9E3779B1
_PRIME32_2 = 0x85EBCA77
_PRIME32_3 = 0xC2B2AE3D
_PRIME64_1 = 0x9E3779B185EBCA87
_PRIME64_2 = 0xC2B2AE3D27D4EB4F
_PRIME64_3 = 0x165667B19E3779F9
_PRIME64_4 = 0x85EBCA77C2B2AE63
_PRIME64_5 = 0x27D4EB2F165667C5
_PRIME_MX1 = 0x165667919E3779F9
_PRIME_MX2 = 0x9FB21C651E98DF25

# kSecret of the reference implementation (192 bytes).
_SECRET = bytes.fromhex(
    "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
    "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
    "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
    "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
    "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
    "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e"
)
_SECRET_SIZE = 192
_STRIPE_LEN = 64
_SECRET_CONSUME_RATE = 8
_STRIPES_PER_BLOCK = (_SECRET_SIZE - _STRIPE_LEN) // _SECRET_CONSUME_RATE  # 16
_BLOCK_LEN = _STRIPE_LEN * _STRIPES_PER_BLOCK  # 1024
_SECRET_LASTACC_START = 7
_SECRET_MERGEACCS_START = 11
_MIDSIZE_STARTOFFSET = 3
_MIDSIZE_LASTOFFSET = 17
_SECRET_SIZE_MIN = 136

_u64 = struct.Struct("<Q").unpack_from
_two64 = struct.Struct("<2Q").unpack_from
_u32 = struct.Struct("<I").unpack_from
_stripe = struct.Struct("<8Q").unpack_from


def _r64(buf, off):
    return _u64(buf, off)[0]


def _r32(buf, off):
    return _u32(buf, off)[0]


# Secret words used by the long-input loop, read once: stripe n of a block uses the 8 words
# starting at byte 8*n (words n..n+7); the scramble, the last stripe and the two merges use
# fixed, partly unaligned, offsets.
_SECRET_WORDS = struct.unpack("<24Q", _SECRET)
# The secret as a little-endian u64 at every byte offset (the mid-size paths read unaligned).
_SECRET_AT = [_r64(_SECRET, off) for off in range(_SECRET_SIZE - 7)]
_SCRAMBLE_SECRET = _stripe(_SECRET, _SECRET_SIZE - _STRIPE_LEN)
_LAST_STRIPE_SECRET = _stripe(_SECRET, _SECRET_SIZE - _STRIPE_LEN - _SECRET_LASTACC_START)
_MERGE_LOW_SECRET = _stripe(_SECRET, _SECRET_MERGEACCS_START)
_MERGE_HIGH_SECRET = _stripe(_SECRET, _SECRET_SIZE - _STRIPE_LEN - _SECRET_MERGEACCS_START)


def _swap32(x):
    return int.from_bytes(x.to_bytes(4, "little"), "big")


def _swap64(x):
    return int.from_bytes(x.to_bytes(8, "little"), "big")


def _rotl32(x, r):
    return ((x << r) | (x >> (32 - r))) & _M32


def _xxh64_avalanche(h):
    h ^= h >> 33
    h = (h * _PRIME64_2) & _M64
    h ^= h >> 29
    h = (h * _PRIME64_3) & _M64
    h ^= h >> 32
    return h


def _xxh3_avalanche(h):
    h ^= h >> 37
    h = (h * _PRIME_MX1) & _M64
    h ^= h >> 32
    return h


def _mul128_fold64(a, b):
    p = a * b
    return (p ^ (p >> 64)) & _M64


def _mix16(data, off, soff, seed):
    lo, hi = _two64(data, off)
    return _mul128_fold64(
        lo ^ ((_SECRET_AT[soff] + seed) & _M64),
        hi ^ ((_SECRET_AT[soff + 8] - seed) & _M64),
    )


def _mix32(low, high, data, off1, off2, soff, seed):
    in1_lo, in1_hi = _two64(data, off1)
    in2_lo, in2_hi = _two64(data, off2)
    low = (low + _mix16(data, off1, soff, seed)) & _M64
    low ^= (in2_lo + in2_hi) & _M64
    high = (high + _mix16(data, off2, soff + 16, seed)) & _M64
    high ^= (in1_lo + in1_hi) & _M64
    return low, high


def _len_0(seed):
    low = _xxh64_avalanche(seed ^ (_r64(_SECRET, 64) ^ _r64(_SECRET, 72)))
    high = _xxh64_avalanche(seed ^ (_r64(_SECRET, 80) ^ _r64(_SECRET, 88)))
    return high, low


def _len_1to3(data, n, seed):
    c1 = data[0]
    c2 = data[n >> 1]
    c3 = data[n - 1]
    combined_lo = (c1 << 16) | (c2 << 24) | c3 | (n << 8)
    combined_hi = _rotl32(_swap32(combined_lo), 13)
    bitflip_lo = ((_r32(_SECRET, 0) ^ _r32(_SECRET, 4)) + seed) & _M64
    bitflip_hi = ((_r32(_SECRET, 8) ^ _r32(_SECRET, 12)) - seed) & _M64
    low = _xxh64_avalanche(combined_lo ^ bitflip_lo)
    high = _xxh64_avalanche(combined_hi ^ bitflip_hi)
    return high, low


def _len_4to8(data, n, seed):
    seed ^= _swap32(seed & _M32) << 32
    input_lo = _r32(data, 0)
    input_hi = _r32(data, n - 4)
    input64 = (input_lo + (input_hi << 32)) & _M64
    bitflip = ((_r64(_SECRET, 16) ^ _r64(_SECRET, 24)) + seed) & _M64
    keyed = input64 ^ bitflip
    product = keyed * ((_PRIME64_1 + (n << 2)) & _M64)
    low = product & _M64
    high = product >> 64
    high = (high + (low << 1)) & _M64
    low ^= high >> 3
    low ^= low >> 35
    low = (low * _PRIME_MX2) & _M64
    low ^= low >> 28
    high = _xxh3_avalanche(high)
    return high, low


def _len_9to16(data, n, seed):
    bitflip_lo = ((_r64(_SECRET, 32) ^ _r64(_SECRET, 40)) - seed) & _M64
    bitflip_hi = ((_r64(_SECRET, 48) ^ _r64(_SECRET, 56)) + seed) & _M64
    input_lo = _r64(data, 0)
    input_hi = _r64(data, n - 8)
    product = (input_lo ^ input_hi ^ bitflip_lo) * _PRIME64_1
    m_low = product & _M64
    m_high = product >> 64
    m_low = (m_low + ((n - 1) << 54)) & _M64
    input_hi ^= bitflip_hi
    m_high = (m_high + input_hi + (input_hi & _M32) * (_PRIME32_2 - 1)) & _M64
    m_low ^= _swap64(m_high)
    product = m_low * _PRIME64_2
    h_low = product & _M64
    h_high = ((product >> 64) + m_high * _PRIME64_2) & _M64
    return _xxh3_avalanche(h_high), _xxh3_avalanche(h_low)


def _finish_mid(low, high, n, seed):
    h_low = (low + high) & _M64
    h_high = (low * _PRIME64_1 + high * _PRIME64_4 + ((n - seed) & _M64) * _PRIME64_2) & _M64
    return (-_xxh3_avalanche(h_high)) & _M64, _xxh3_avalanche(h_low)


def _len_17to128(data, n, seed):
    low = (n * _PRIME64_1) & _M64
    high = 0
    i = (n - 1) // 32
    while i >= 0:
        low, high = _mix32(low, high, data, 16 * i, n - 16 * (i + 1), 32 * i, seed)
        i -= 1
    return _finish_mid(low, high, n, seed)


def _len_129to240(data, n, seed):
    rounds = n // 32
    low = (n * _PRIME64_1) & _M64
    high = 0
    for i in range(4):
        low, high = _mix32(low, high, data, 32 * i, 32 * i + 16, 32 * i, seed)
    low = _xxh3_avalanche(low)
    high = _xxh3_avalanche(high)
    for i in range(4, rounds):
        low, high = _mix32(
            low, high, data, 32 * i, 32 * i + 16, _MIDSIZE_STARTOFFSET + 32 * (i - 4), seed
        )
    low, high = _mix32(
        low, high, data, n - 16, n - 32,
        _SECRET_SIZE_MIN - _MIDSIZE_LASTOFFSET - 16, (-seed) & _M64,
    )
    return _finish_mid(low, high, n, seed)


def _accumulate_stripe(acc, words, key):
    """One 64-byte stripe: 8 lanes, each adds the swapped neighbour and a 32x32 product."""
    for lane in range(8):
        value = words[lane]
        keyed = value ^ key[lane]
        acc[lane ^ 1] = (acc[lane ^ 1] + value) & _M64
        acc[lane] = (acc[lane] + (keyed & _M32) * (keyed >> 32)) & _M64


def _accumulate_stripes(acc, data, offset, stripes):
    """``stripes`` consecutive stripes from ``offset``; stripe s is keyed by secret words s..s+7.

    This is _accumulate_stripe unrolled over the 8 lanes. Between two scrambles the
    accumulators only add, so the sums are reduced modulo 2**64 once, at the end.
    """
    if stripes == 0:
        return
    words = struct.unpack_from(f"<{8 * stripes}Q", data, offset)
    key = _SECRET_WORDS
    a0, a1, a2, a3, a4, a5, a6, a7 = acc
    for s in range(stripes):
        w0, w1, w2, w3, w4, w5, w6, w7 = words[8 * s:8 * s + 8]
        x0 = w0 ^ key[s]
        x1 = w1 ^ key[s + 1]
        x2 = w2 ^ key[s + 2]
        x3 = w3 ^ key[s + 3]
        x4 = w4 ^ key[s + 4]
        x5 = w5 ^ key[s + 5]
        x6 = w6 ^ key[s + 6]
        x7 = w7 ^ key[s + 7]
        # lane i gets the product of its keyed halves plus the raw word of lane i ^ 1
        a0 += w1 + (x0 & _M32) * (x0 >> 32)
        a1 += w0 + (x1 & _M32) * (x1 >> 32)
        a2 += w3 + (x2 & _M32) * (x2 >> 32)
        a3 += w2 + (x3 & _M32) * (x3 >> 32)
        a4 += w5 + (x4 & _M32) * (x4 >> 32)
        a5 += w4 + (x5 & _M32) * (x5 >> 32)
        a6 += w7 + (x6 & _M32) * (x6 >> 32)
        a7 += w6 + (x7 & _M32) * (x7 >> 32)
    acc[:] = [a & _M64 for a in (a0, a1, a2, a3, a4, a5, a6, a7)]


def _scramble(acc):
    for lane in range(8):
        a = acc[lane]
        a ^= a >> 47
        a ^= _SCRAMBLE_SECRET[lane]
        acc[lane] = (a * _PRIME32_1) & _M64


def _merge(acc, key, start):
    result = start
    for i in range(4):
        result += _mul128_fold64(acc[2 * i] ^ key[2 * i], acc[2 * i + 1] ^ key[2 * i + 1])
    return _xxh3_avalanche(result & _M64)


def _long(data, n):
    acc = [_PRIME32_3, _PRIME64_1, _PRIME64_2, _PRIME64_3,
           _PRIME64_4, _PRIME32_2, _PRIME64_5, _PRIME32_1]
    blocks = (n - 1) // _BLOCK_LEN
    offset = 0
    for _ in range(blocks):
        _accumulate_stripes(acc, data, offset, _STRIPES_PER_BLOCK)
        _scramble(acc)
        offset += _BLOCK_LEN
    # The last, partial block: whole stripes only, the final bytes are covered below.
    _accumulate_stripes(acc, data, offset, ((n - 1) - offset) // _STRIPE_LEN)
    # The last stripe always ends at the last byte (it may overlap the previous one).
    _accumulate_stripe(acc, _stripe(data, n - _STRIPE_LEN), _LAST_STRIPE_SECRET)
    low = _merge(acc, _MERGE_LOW_SECRET, (n * _PRIME64_1) & _M64)
    high = _merge(acc, _MERGE_HIGH_SECRET, (~(n * _PRIME64_2)) & _M64)
    return high, low


def xxh3_128(data) -> int:
    """XXH3-128 of ``data`` (bytes-like), seed 0, as an int ``(high << 64) | low``."""
    data = bytes(data)
    n = len(data)
    seed = 0
    if n <= 16:
        if n > 8:
            high, low = _len_9to16(data, n, seed)
        elif n >= 4:
            high, low = _len_4to8(data, n, seed)
        elif n:
            high, low = _len_1to3(data, n, seed)
        else:
            high, low = _len_0(seed)
    elif n <= 128:
        high, low = _len_17to128(data, n, seed)
    elif n <= 240:
        high, low = _len_129to240(data, n, seed)
    else:
        high, low = _long(data, n)
    return (high << 64) | low


def xxh3_128_digest(data) -> bytes:
    """XXH3-128 of ``data`` as 16 big-endian bytes (xxHash's canonical form)."""
    return xxh3_128(data).to_bytes(16, "big")
