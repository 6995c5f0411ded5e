// C++ reference of the byte products of the Boolean backward (BoolNet.Core/Operators/SignalProducts/
// DenseByteProducts.cs), for measuring the C# kernel against the best instructions of this CPU in the
// same run and the same unit. NOT part of the .NET build; built and run by `BoolNet.Bench cpp-signals`.
//
//   output[r, i] = scale * (float)(2 * sum_k a[r, k] * b[k, i] - offset[r])     a: int8 levels, b: bits
//   input signal  g: a = Z [N, out] (r = sample, k = output),  b = W [out, m] bits
//   weight signal q: a = Z^T [out, N] (r = output, k = sample), b = X [N, m] bits
//   offset[r] = sum_k a[r, k]  (e(b) = 2b - 1: the centring)
//
// Kernels (one byte-MAC = one a[r, k] * b[k, i]):
//   vnni512_RxC : AVX-512 VNNI vpdpbusd zmm (u8 b x s8 a, four k per int32 lane, no saturation), B in
//                 quads of 4 rows interleaved byte by byte in panels of 16C columns; a tile of R rows x
//                 C zmm, the a quad an embedded {1to16} broadcast operand of vpdpbusd.
//   vnni256_RxC : AVX-VNNI vpdpbusd ymm (VEX: the broadcast is a separate vpbroadcastd).
//   madd_RxC    : AVX2 vpmaddubsw (two k per int16 lane) + vpaddw into int16 sums, widened to int32 every
//                 32767 / (2 max|a|) pairs (the C# kernel's design when R x C = 4 x 2).
//   madd512_RxC : the same on zmm (AVX-512 BW).
// Compiled twice by the bench: -march=native (every kernel) and -march=x86-64-v3 -mavxvnni (16 ymm
// registers, no AVX-512: what an AVX2 machine allows).
//
// The weight signal packs a^T (quads along the batch) and B (X's bits) inside the timed call; the input
// signal reads a's quads straight from Z's rows and takes W's packing as cached (as the C# operator's
// PairedBitsCache does; packing is outside its time).
//
// Usage: byte_products run --input FILE [--expected FILE] [--kernel NAME]... [--reps 5] [--ms 20]
//        byte_products peak        (register-only throughput of vpdpbusd and vpmaddubsw: the hardware's bound)
// FILE (written by the bench): "BPIN", int32 kind (0 = g, 1 = q), N, out, m, words per bit row, float scale,
// int8 Z [N * out], uint64 bits [rows * words]. --expected: the C# result, float [rows * m], compared bit
// for bit (exit 1 on any difference). Prints one JSON line per kernel: MACs/s over wall and thread-CPU time.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

double thread_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <typename T>
T* aligned(size_t count) {
    size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    return static_cast<T*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64)));
}

// The problem as read from the input file.
struct Problem {
    int kind = 0, n = 0, outputs = 0, columns = 0, words = 0;
    float scale = 0;
    std::vector<int8_t> levels;    // Z [N, out]
    std::vector<uint64_t> bits;    // [K, words]
    int rows() const { return kind == 0 ? n : outputs; }  // rows of a (and of the output)
    int depth() const { return kind == 0 ? outputs : n; } // K
};

// The packed operands of one call.
struct Operands {
    int rows = 0, depth = 0, columns = 0, group = 0, panel = 0, stride = 0; // stride: bytes per a row
    const int8_t* a = nullptr;   // [rows, stride] with the quads / pairs in order, zero padded
    uint8_t* b = nullptr;        // [columns / panel][depth / group][panel][group]
    int32_t* offsets = nullptr;  // [rows]
    const int32_t* words = nullptr; // pair kernels: [rows, depth / 2] pair words doubled into an int32 (a 4-byte broadcast)
    float scale = 0;
    int max_abs = 0;
};

// Bits 0..7 of `byte` spread to bytes 0..7 (0 or 1).
inline uint64_t spread(uint64_t byte) { return _pdep_u64(byte, 0x0101010101010101ull); }

// One bit of the bit matrix (0 past the last row).
inline uint64_t bits8(const Problem& p, int row, int column) {
    if (row >= p.depth()) return 0;
    return (p.bits[(size_t)row * p.words + column / 64] >> (column % 64)) & 0xFF;
}

// B packed in groups of `group` rows (2 or 4) interleaved byte by byte, panels of `panel` columns;
// `depth` (rows, a multiple of 4) zero past the bit matrix's rows.
void pack_b(const Problem& p, int depth, int group, int panel, uint8_t* b) {
    int columns = p.columns;
    int panels = (columns + panel - 1) / panel;
    for (int c = 0; c < panels; c++)
        for (int g = 0; g < depth / group; g++) {
            uint8_t* target = b + ((size_t)c * (depth / group) + g) * panel * group;
            for (int i0 = 0; i0 < panel; i0 += 8) {
                int column = c * panel + i0;
                __m128i rows[4] = {};
                for (int j = 0; j < group; j++)
                    rows[j] = _mm_cvtsi64_si128((long long)(column < columns ? spread(bits8(p, g * group + j, column)) : 0));
                __m128i pairs01 = _mm_unpacklo_epi8(rows[0], rows[1]);
                if (group == 2) { _mm_storeu_si128((__m128i*)(target + i0 * 2), pairs01); continue; }
                __m128i pairs23 = _mm_unpacklo_epi8(rows[2], rows[3]);
                _mm_storeu_si128((__m128i*)(target + i0 * 4), _mm_unpacklo_epi16(pairs01, pairs23));
                _mm_storeu_si128((__m128i*)(target + i0 * 4 + 16), _mm_unpackhi_epi16(pairs01, pairs23));
            }
        }
}

// a for the weight signal: Z^T [out, N], rows padded to `stride` bytes, and its row sums.
void pack_a_transposed(const Problem& p, int stride, int8_t* a, int32_t* offsets) {
    int n = p.n, outputs = p.outputs;
    for (int r0 = 0; r0 < outputs; r0 += 64) {
        int r1 = std::min(outputs, r0 + 64);
        for (int k = 0; k < n; k++) {
            const int8_t* row = p.levels.data() + (size_t)k * outputs;
            for (int r = r0; r < r1; r++) a[(size_t)r * stride + k] = row[r];
        }
        for (int r = r0; r < r1; r++) {
            std::memset(a + (size_t)r * stride + n, 0, stride - n);
            int sum = 0;
            for (int k = 0; k < n; k++) sum += a[(size_t)r * stride + k];
            offsets[r] = sum;
        }
    }
}

// One output row: scale * (float)(2 * sum - offset), the C# epilogue's operations in its order.
#if defined(__AVX512F__)
inline void store_row(const __m512i* sums, int count, float* target, int width, int offset, float scale) {
    __m512i off = _mm512_set1_epi32(offset);
    __m512 s = _mm512_set1_ps(scale);
    for (int v = 0; v < count; v++) {
        int left = width - 16 * v;
        if (left <= 0) break;
        __m512 f = _mm512_mul_ps(s, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_add_epi32(sums[v], sums[v]), off)));
        if (left >= 16) _mm512_storeu_ps(target + 16 * v, f);
        else _mm512_mask_storeu_ps(target + 16 * v, (__mmask16)((1u << left) - 1), f);
    }
}
#endif

inline void store_row8(const __m256i* sums, int count, float* target, int width, int offset, float scale) {
    __m256i off = _mm256_set1_epi32(offset);
    __m256 s = _mm256_set1_ps(scale);
    for (int v = 0; v < count; v++) {
        int left = width - 8 * v;
        if (left <= 0) break;
        __m256 f = _mm256_mul_ps(s, _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_add_epi32(sums[v], sums[v]), off)));
        if (left >= 8) _mm256_storeu_ps(target + 8 * v, f);
        else { alignas(32) float tile[8]; _mm256_store_ps(tile, f); std::memcpy(target + 8 * v, tile, left * sizeof(float)); }
    }
}

// Drives tiles of R rows x one panel over the output: panels outer when B is large (g), rows outer else.
template <int R, typename Tile>
void drive(const Operands& o, float* output, Tile tile) {
    int panels = (o.columns + o.panel - 1) / o.panel;
    size_t panel_bytes = (size_t)(o.depth / o.group) * o.panel * o.group;
    auto run = [&](int r0, int c) {
        int rows = std::min(R, o.rows - r0);
        tile(o.a + (size_t)r0 * o.stride, rows, o.b + c * panel_bytes, output + (size_t)r0 * o.columns + c * o.panel,
             std::min(o.panel, o.columns - c * o.panel), o.offsets + r0);
    };
    if (panel_bytes * panels > 256 * 1024)
        for (int c = 0; c < panels; c++)
            for (int r0 = 0; r0 < o.rows; r0 += R) run(r0, c);
    else
        for (int r0 = 0; r0 < o.rows; r0 += R)
            for (int c = 0; c < panels; c++) run(r0, c);
}

// Tiles of R rows: the full ones, then the last rows of a partial tile one at a time (a tile's sums
// stay registers only when every index into them is a constant).
template <int R, typename Tile>
void drive_tiles(const Operands& o, float* output) {
    drive<R>(o, output, [&](const int8_t* a, int rows, const uint8_t* panel, float* target, int width, const int32_t* offsets) {
        if (rows == R) { Tile::template run<R>(o, a, panel, target, width, offsets); return; }
        for (int r = 0; r < rows; r++)
            Tile::template run<1>(o, a + (size_t)r * o.stride, panel, target + (size_t)r * o.columns, width, offsets + r);
    });
}

#if defined(__AVX512VNNI__)
// R rows x C zmm (16C columns) of vpdpbusd; the a quad a {1to16} broadcast.
template <int C>
struct Vnni512 {
    template <int R>
    static void run(const Operands& o, const int8_t* a, const uint8_t* row, float* target, int width, const int32_t* offsets) {
        __m512i sums[R][C];
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) sums[r][c] = _mm512_setzero_si512();
        for (int q = 0; q < o.depth / 4; q++, row += 64 * C) {
            __m512i b[C];
#pragma GCC unroll 8
            for (int c = 0; c < C; c++) b[c] = _mm512_load_si512(row + 64 * c);
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                __m512i w = _mm512_set1_epi32(*(const int32_t*)(a + (size_t)r * o.stride + 4 * q));
#pragma GCC unroll 8
                for (int c = 0; c < C; c++) sums[r][c] = _mm512_dpbusd_epi32(sums[r][c], b[c], w);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) store_row(sums[r], C, target + (size_t)r * o.columns, width, offsets[r], o.scale);
    }
};
#endif

#if defined(__AVXVNNI__) || defined(__AVX512VNNI__)
// R rows x C ymm (8C columns) of VEX vpdpbusd.
template <int C>
struct Vnni256 {
    template <int R>
    static void run(const Operands& o, const int8_t* a, const uint8_t* row, float* target, int width, const int32_t* offsets) {
        __m256i sums[R][C];
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) sums[r][c] = _mm256_setzero_si256();
        for (int q = 0; q < o.depth / 4; q++, row += 32 * C) {
            __m256i b[C];
#pragma GCC unroll 8
            for (int c = 0; c < C; c++) b[c] = _mm256_load_si256((const __m256i*)(row + 32 * c));
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                __m256i w = _mm256_set1_epi32(*(const int32_t*)(a + (size_t)r * o.stride + 4 * q));
#pragma GCC unroll 8
                for (int c = 0; c < C; c++) sums[r][c] = _mm256_dpbusd_avx_epi32(sums[r][c], b[c], w);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) store_row8(sums[r], C, target + (size_t)r * o.columns, width, offsets[r], o.scale);
    }
};
#endif

// R rows x C ymm (16C columns) of vpmaddubsw + vpaddw in int16, widened every `chunk` pairs.
template <int C>
struct Madd {
    template <int R>
    static void run(const Operands& o, const int8_t* a, const uint8_t* panel, float* target, int width, const int32_t* offsets) {
        int pairs = o.depth / 2, chunk = 32767 / std::max(1, 2 * o.max_abs);
        const int32_t* words = o.words + (size_t)((a - o.a) / o.stride) * pairs;
        alignas(64) __m256i wide[R][2 * C]; // int32 sums in memory: 16 ymm of them would not leave registers for the loop
        std::memset(wide, 0, sizeof wide);
        for (int p0 = 0; p0 < pairs; p0 += chunk) {
            int p1 = std::min(pairs, p0 + chunk);
            __m256i sums[R][C];
            for (int r = 0; r < R; r++)
                for (int c = 0; c < C; c++) sums[r][c] = _mm256_setzero_si256();
            const uint8_t* row = panel + (size_t)p0 * 32 * C;
            for (int p = p0; p < p1; p++, row += 32 * C) {
                __m256i b[C];
#pragma GCC unroll 8
                for (int c = 0; c < C; c++) b[c] = _mm256_load_si256((const __m256i*)(row + 32 * c));
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) {
                    __m256i w = _mm256_set1_epi32(words[(size_t)r * pairs + p]);
#pragma GCC unroll 8
                    for (int c = 0; c < C; c++) sums[r][c] = _mm256_add_epi16(sums[r][c], _mm256_maddubs_epi16(b[c], w));
                }
            }
#pragma GCC unroll 8
            for (int r = 0; r < R; r++)
#pragma GCC unroll 8
                for (int c = 0; c < C; c++) {
                    __m256i* w = &wide[r][2 * c];
                    _mm256_store_si256(w, _mm256_add_epi32(_mm256_load_si256(w), _mm256_cvtepi16_epi32(_mm256_castsi256_si128(sums[r][c]))));
                    _mm256_store_si256(w + 1, _mm256_add_epi32(_mm256_load_si256(w + 1), _mm256_cvtepi16_epi32(_mm256_extracti128_si256(sums[r][c], 1))));
                }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) store_row8(wide[r], 2 * C, target + (size_t)r * o.columns, width, offsets[r], o.scale);
    }
};

#if defined(__AVX512BW__)
// R rows x C zmm (32C columns) of vpmaddubsw + vpaddw in int16 (512-bit Madd).
template <int C>
struct Madd512 {
    template <int R>
    static void run(const Operands& o, const int8_t* a, const uint8_t* panel, float* target, int width, const int32_t* offsets) {
        int pairs = o.depth / 2, chunk = 32767 / std::max(1, 2 * o.max_abs);
        const int32_t* words = o.words + (size_t)((a - o.a) / o.stride) * pairs;
        alignas(64) __m512i wide[R][2 * C];
        std::memset(wide, 0, sizeof wide);
        for (int p0 = 0; p0 < pairs; p0 += chunk) {
            int p1 = std::min(pairs, p0 + chunk);
            __m512i sums[R][C];
            for (int r = 0; r < R; r++)
                for (int c = 0; c < C; c++) sums[r][c] = _mm512_setzero_si512();
            const uint8_t* row = panel + (size_t)p0 * 64 * C;
            for (int p = p0; p < p1; p++, row += 64 * C) {
                __m512i b[C];
#pragma GCC unroll 8
                for (int c = 0; c < C; c++) b[c] = _mm512_load_si512(row + 64 * c);
#pragma GCC unroll 8
                for (int r = 0; r < R; r++) {
                    __m512i w = _mm512_set1_epi32(words[(size_t)r * pairs + p]);
#pragma GCC unroll 8
                    for (int c = 0; c < C; c++) sums[r][c] = _mm512_add_epi16(sums[r][c], _mm512_maddubs_epi16(b[c], w));
                }
            }
#pragma GCC unroll 8
            for (int r = 0; r < R; r++)
#pragma GCC unroll 8
                for (int c = 0; c < C; c++) {
                    __m512i* w = &wide[r][2 * c];
                    _mm512_store_si512(w, _mm512_add_epi32(_mm512_load_si512(w), _mm512_cvtepi16_epi32(_mm512_castsi512_si256(sums[r][c]))));
                    _mm512_store_si512(w + 1, _mm512_add_epi32(_mm512_load_si512(w + 1), _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(sums[r][c], 1))));
                }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) store_row(wide[r], 2 * C, target + (size_t)r * o.columns, width, offsets[r], o.scale);
    }
};
#endif

struct Kernel {
    const char* name;
    int group, panel;  // B's layout: rows per group, columns per panel
    void (*run)(const Operands&, float*);
};

const Kernel kernels[] = {
#if defined(__AVX512VNNI__)
    {"vnni512_6x4", 4, 64, drive_tiles<6, Vnni512<4>>},
    {"vnni512_8x3", 4, 48, drive_tiles<8, Vnni512<3>>},
    {"vnni512_4x4", 4, 64, drive_tiles<4, Vnni512<4>>},
#endif
#if defined(__AVXVNNI__) || defined(__AVX512VNNI__)
    {"vnni256_4x3", 4, 24, drive_tiles<4, Vnni256<3>>},
    {"vnni256_6x2", 4, 16, drive_tiles<6, Vnni256<2>>},
#endif
#if defined(__AVX512BW__)
    {"madd512_4x2", 2, 64, drive_tiles<4, Madd512<2>>},
    {"madd512_4x4", 2, 128, drive_tiles<4, Madd512<4>>},
#endif
    {"madd_4x2", 2, 32, drive_tiles<4, Madd<2>>},
    {"madd_6x2", 2, 32, drive_tiles<6, Madd<2>>},
};

// A kernel's whole call: the packing its design needs for this product, then the tiles.
struct Call {
    const Problem& p;
    const Kernel& k;
    Operands o;
    std::vector<int32_t> offsets;
    int8_t* a_buffer = nullptr;
    uint8_t* b_buffer = nullptr;
    std::vector<int32_t> words;

    Call(const Problem& problem, const Kernel& kernel) : p(problem), k(kernel) {
        int depth = (p.depth() + 3) / 4 * 4;
        o.rows = p.rows(); o.depth = depth; o.columns = p.columns; o.group = k.group; o.panel = k.panel;
        o.scale = p.scale;
        offsets.resize(o.rows);
        o.offsets = offsets.data();
        for (int8_t v : p.levels) o.max_abs = std::max(o.max_abs, std::abs((int)v));
        size_t panels = (p.columns + k.panel - 1) / k.panel;
        b_buffer = aligned<uint8_t>(panels * depth * k.panel);
        std::memset(b_buffer, 0, panels * depth * k.panel);
        o.b = b_buffer;
        if (k.group == 2) { words.resize((size_t)o.rows * depth / 2); o.words = words.data(); }
        if (p.kind == 0) {
            // g: a = Z's rows as they are (quads of consecutive levels); W packed once (cached).
            if (p.outputs % 4 != 0) { std::fprintf(stderr, "byte_products: g needs out %% 4 == 0\n"); std::exit(2); }
            o.a = p.levels.data();
            o.stride = p.outputs;
            for (int r = 0; r < o.rows; r++) {
                int sum = 0;
                for (int j = 0; j < p.outputs; j++) sum += p.levels[(size_t)r * p.outputs + j];
                offsets[r] = sum;
            }
            pack_b(p, o.depth, k.group, k.panel, b_buffer);
        } else {
            o.stride = depth;
            a_buffer = aligned<int8_t>((size_t)o.rows * depth);
            o.a = a_buffer;
        }
    }
    // The pair kernels' a: each pair of levels as a 16-bit word in both halves of an int32 (as the C# kernel).
    void pair_words() {
        int pairs = o.depth / 2;
        for (int r = 0; r < o.rows; r++) {
            const uint16_t* row = reinterpret_cast<const uint16_t*>(o.a + (size_t)r * o.stride);
            int32_t* target = words.data() + (size_t)r * pairs;
            for (int q = 0; q < pairs; q++) target[q] = (int32_t)(row[q] * 0x10001u);
        }
    }
    ~Call() { std::free(a_buffer); std::free(b_buffer); }

    void operator()(float* output) {
        if (p.kind == 1) {
            pack_a_transposed(p, o.stride, a_buffer, offsets.data());
            pack_b(p, o.depth, k.group, k.panel, b_buffer);
        }
        if (k.group == 2) pair_words();
        k.run(o, output);
    }
};

template <typename T>
std::vector<T> read(FILE* f, size_t count, const char* what) {
    std::vector<T> values(count);
    if (count && std::fread(values.data(), sizeof(T), count, f) != count) {
        std::fprintf(stderr, "byte_products: short %s\n", what);
        std::exit(2);
    }
    return values;
}

Problem load(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) { std::fprintf(stderr, "byte_products: cannot open %s\n", path.c_str()); std::exit(2); }
    char magic[4];
    Problem p;
    int32_t header[5];
    if (std::fread(magic, 1, 4, f) != 4 || std::memcmp(magic, "BPIN", 4) != 0 || std::fread(header, 4, 5, f) != 5
        || std::fread(&p.scale, 4, 1, f) != 1) {
        std::fprintf(stderr, "byte_products: %s is not an input file\n", path.c_str());
        std::exit(2);
    }
    p.kind = header[0]; p.n = header[1]; p.outputs = header[2]; p.columns = header[3]; p.words = header[4];
    p.levels = read<int8_t>(f, (size_t)p.n * p.outputs, "levels");
    p.bits = read<uint64_t>(f, (size_t)p.depth() * p.words, "bits");
    std::fclose(f);
    return p;
}

// Register-only throughput: 12 independent accumulators, MACs per second of thread CPU time.
template <typename Step>
double peak(Step step, double macs_per_step) {
    const long iterations = 20'000'000;
    double start = thread_seconds();
    step(iterations);
    return macs_per_step * 12 * iterations / (thread_seconds() - start);
}

int run_peak() {
#if defined(__AVX512VNNI__)
    std::printf("{\"peak\":\"vpdpbusd zmm\",\"gmacs\":%.1f}\n", peak([](long n) {
        __m512i s[12], b = _mm512_set1_epi8(1), w = _mm512_set1_epi8(3);
        for (auto& v : s) v = _mm512_setzero_si512();
        for (long i = 0; i < n; i++) {
            for (auto& v : s) v = _mm512_dpbusd_epi32(v, b, w);
            __asm__ volatile("" : "+v"(b), "+v"(w));
        }
        for (auto& v : s) __asm__ volatile("" : : "v"(v));
    }, 64) / 1e9);
    std::printf("{\"peak\":\"vpmaddubsw+vpaddw zmm\",\"gmacs\":%.1f}\n", peak([](long n) {
        __m512i s[12], w = _mm512_set1_epi8(3);
        for (auto& v : s) v = _mm512_setzero_si512();
        for (long i = 0; i < n; i++) {
            for (auto& v : s) v = _mm512_add_epi16(v, _mm512_maddubs_epi16(v, w));
            __asm__ volatile("" : "+v"(w));
        }
        for (auto& v : s) __asm__ volatile("" : : "v"(v));
    }, 64) / 1e9);
#endif
#if defined(__AVXVNNI__) || defined(__AVX512VNNI__)
    std::printf("{\"peak\":\"vpdpbusd ymm\",\"gmacs\":%.1f}\n", peak([](long n) {
        __m256i s[12], b = _mm256_set1_epi8(1), w = _mm256_set1_epi8(3);
        for (auto& v : s) v = _mm256_setzero_si256();
        for (long i = 0; i < n; i++) {
            for (auto& v : s) v = _mm256_dpbusd_avx_epi32(v, b, w);
            __asm__ volatile("" : "+x"(b), "+x"(w));
        }
        for (auto& v : s) __asm__ volatile("" : : "x"(v));
    }, 32) / 1e9);
#endif
    std::printf("{\"peak\":\"vpmaddubsw+vpaddw ymm\",\"gmacs\":%.1f}\n", peak([](long n) {
        __m256i s[12], b = _mm256_set1_epi8(1), w = _mm256_set1_epi8(3);
        for (auto& v : s) v = _mm256_setzero_si256();
        for (long i = 0; i < n; i++) {
            for (auto& v : s) v = _mm256_add_epi16(v, _mm256_maddubs_epi16(v, w)); // v as the u8 operand: no common subexpression
            __asm__ volatile("" : "+x"(b), "+x"(w));
        }
        for (auto& v : s) __asm__ volatile("" : : "x"(v));
    }, 32) / 1e9);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "peak") return run_peak();
    if (argc < 2 || std::string(argv[1]) != "run") {
        std::fprintf(stderr, "usage: byte_products run --input FILE [--expected FILE] [--kernel NAME]... [--reps 5] [--ms 20] | peak\n");
        return 2;
    }
    std::string input, expected;
    std::vector<std::string> wanted;
    int reps = 5;
    double ms = 20;
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string name = argv[i], value = argv[i + 1];
        if (name == "--input") input = value;
        else if (name == "--expected") expected = value;
        else if (name == "--kernel") wanted.push_back(value);
        else if (name == "--reps") reps = std::max(1, std::atoi(value.c_str()));
        else if (name == "--ms") ms = std::atof(value.c_str());
        else { std::fprintf(stderr, "byte_products: unknown option %s\n", name.c_str()); return 2; }
    }
    if (input.empty()) { std::fprintf(stderr, "byte_products: --input FILE is required\n"); return 2; }
    Problem p = load(input);
    size_t outputs = (size_t)p.rows() * p.columns;
    std::vector<float> truth;
    if (!expected.empty()) {
        FILE* f = std::fopen(expected.c_str(), "rb");
        if (!f) { std::fprintf(stderr, "byte_products: cannot open %s\n", expected.c_str()); return 2; }
        truth = read<float>(f, outputs, "expected output");
        std::fclose(f);
    }
    double macs = (double)p.rows() * p.depth() * p.columns;
    std::vector<float> output(outputs);
    for (const Kernel& kernel : kernels) {
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), kernel.name) == wanted.end()) continue;
        Call call(p, kernel);
        std::fill(output.begin(), output.end(), -1.0f);
        call(output.data());
        bool verified = !truth.empty();
        if (verified && std::memcmp(output.data(), truth.data(), outputs * sizeof(float)) != 0) {
            std::fprintf(stderr, "byte_products: %s differs from the expected output\n", kernel.name);
            return 1;
        }
        // Calibrate: calls per repetition for at least `ms` milliseconds.
        double start = wall_seconds();
        int probe = 0;
        do { call(output.data()); probe++; } while (wall_seconds() - start < 0.005);
        int count = std::max(1, (int)(ms / 1000 / ((wall_seconds() - start) / probe)));
        std::vector<double> wall, cpu;
        for (int r = 0; r < reps; r++) {
            double w0 = wall_seconds(), c0 = thread_seconds();
            for (int i = 0; i < count; i++) call(output.data());
            wall.push_back((wall_seconds() - w0) / count);
            cpu.push_back((thread_seconds() - c0) / count);
        }
        std::sort(wall.begin(), wall.end());
        std::sort(cpu.begin(), cpu.end());
        std::printf("{\"kernel\":\"%s\",\"rows\":%d,\"depth\":%d,\"columns\":%d,\"gmacs\":%.2f,\"best_gmacs\":%.2f,"
                    "\"cpu_gmacs\":%.2f,\"verified\":%s}\n",
                    kernel.name, p.rows(), p.depth(), p.columns, macs / wall[wall.size() / 2] / 1e9, macs / wall[0] / 1e9,
                    macs / cpu[cpu.size() / 2] / 1e9, verified ? "true" : "false");
    }
    return 0;
}
