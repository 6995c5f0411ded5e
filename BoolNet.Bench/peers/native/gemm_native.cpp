// Native C++ peers of the C# AVX-512 counting GEMM (BoolNet.Core/Kernels/Avx512BinaryGemmKernel.cs), for
// measuring the C# kernel against C++ in the same run and the same unit. NOT part of the .NET build.
//
//   C[i, j] = popcount(A_i XOR B_j) over K bits; A [m, words], B [n, words], row-major uint64 words.
//
// All three kernels use the C# kernel's layout: B repacked once per call (charged to the call) with 8 rows
// interleaved by 64-bit words, so group word t is one zmm holding word t of the 8 rows; one A word is
// broadcast (embedded broadcast) and XORed with it: one zmm input = 8 outputs x 64 bit positions, each
// output in its own qword lane. Register tiles of 4 A rows x 1 or 2 B groups; L1 blocks of A rows.
//   vpopcntq    : hardware VPOPCNTQ per input, vpaddq into qword lanes.        (xor, popcnt, add)
//   vpermb      : two vpermb 6-bit lookups per input (bits 0..5, then bits 6..7 after a 2-bit shift),
//                 byte accumulators widened by vpsadbw every 31 inputs.        (xor, 2 vpermb, shift, 2 add)
//   vpermb_csa  : Harley-Seal carry-save adder tree of vpternlogq over 8 inputs, so only the "eights" of
//                 every 8 inputs go through the vpermb lookup (the C# kernel's algorithm, 4 x 1 tiles).
//   vpermb_csa_pairs : the same with pair-XOR operands (see PairCsaKernel): 3 ops instead of 4 per
//                 first-level adder, XORs included; A and B pre-XORed per call (charged to the call).
//
// One op = one bit position of one output: gops = m * n * k / seconds / 1e9 (as the C# quick bench);
// cpu_gops uses CLOCK_THREAD_CPUTIME_ID (blind to time slices lost to other processes).
// Usage: gemm_native --m M --k K --n N [--kernel vpopcntq|vpermb|vpermb_csa|vpermb_csa_pairs|all] [--repetitions R]
// Requires m % 4 == 0, n % 16 == 0 and k % 512 == 0 (the benchmark shapes); anything else is refused.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int GroupRows = 8;
constexpr int L1BlockBytes = 16 * 1024;

double thread_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double load_average() {
    FILE* f = std::fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double value = -1;
    if (std::fscanf(f, "%lf", &value) != 1) value = -1;
    std::fclose(f);
    return value;
}

// Packs B [n, words] into groups of 8 rows interleaved by words: packed[g][t][q] = B[8g + q][t].
void pack(const uint64_t* b, int n, int words, uint64_t* packed) {
    for (int g = 0; g < n / GroupRows; g++)
        for (int t = 0; t < words; t++)
            for (int q = 0; q < GroupRows; q++)
                packed[((size_t)g * words + t) * GroupRows + q] = b[(size_t)(GroupRows * g + q) * words + t];
}

inline __m512i bcast(const uint64_t* p) { return _mm512_set1_epi64((long long)*p); }

// Adds the 8 qword lanes (one per B row of a group) into c[0..7].
inline void store8(int* c, __m512i lanes) {
    __m256i totals = _mm512_cvtepi64_epi32(lanes);
    _mm256_storeu_si256((__m256i*)c, _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)c), totals));
}

// ---- (a) hardware VPOPCNTQ: tile of 4 A rows x 2 B groups (8 qword accumulators). ----
struct PopcntKernel {
    static constexpr int TileRows = 4, TileGroups = 2;
    static void tile(const uint64_t* a, int words, const uint64_t* g0, int* c, int n) {
        const uint64_t* g1 = g0 + (size_t)words * GroupRows;
        __m512i acc[4][2];
        _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
#pragma GCC unroll 2
        for (int t = 0; t < words; t++) {
            __m512i y0 = _mm512_load_si512(g0 + GroupRows * t), y1 = _mm512_load_si512(g1 + GroupRows * t);
            _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++) {
                __m512i x = bcast(a + (size_t)r * words + t);
                acc[r][0] = _mm512_add_epi64(acc[r][0], _mm512_popcnt_epi64(_mm512_xor_si512(x, y0)));
                acc[r][1] = _mm512_add_epi64(acc[r][1], _mm512_popcnt_epi64(_mm512_xor_si512(x, y1)));
            }
        }
        _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++) { store8(c + (size_t)r * n, acc[r][0]); store8(c + (size_t)r * n + 8, acc[r][1]); }
    }
};

// ---- 6-bit vpermb lookup tables (as Avx512Popcount in C#). ----
alignas(64) uint8_t low_table[64], high_table[64];
void init_tables() {
    for (int i = 0; i < 64; i++) { low_table[i] = (uint8_t)__builtin_popcount(i); high_table[i] = (uint8_t)__builtin_popcount(i >> 4); }
}
inline __m512i lookup(__m512i x, __m512i low, __m512i high) {
    return _mm512_add_epi8(_mm512_permutexvar_epi8(x, low), _mm512_permutexvar_epi8(_mm512_srli_epi64(x, 2), high));
}
inline __m512i widen(__m512i bytes) { return _mm512_sad_epu8(bytes, _mm512_setzero_si512()); }

// ---- (b) vpermb lookup per input, no CSA: tile of 4 A rows x 2 B groups. ----
struct LookupKernel {
    static constexpr int TileRows = 4, TileGroups = 2;
    static void tile(const uint64_t* a, int words, const uint64_t* g0, int* c, int n) {
        const uint64_t* g1 = g0 + (size_t)words * GroupRows;
        const __m512i low = _mm512_load_si512(low_table), high = _mm512_load_si512(high_table);
        __m512i bytes[4][2], wide[4][2];
        _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++) bytes[r][0] = bytes[r][1] = wide[r][0] = wide[r][1] = _mm512_setzero_si512();
        int t = 0;
        while (t < words) {
            int end = std::min(words, t + 31);  // 31 lookups x 8 <= 255 per byte
            for (; t < end; t++) {
                __m512i y0 = _mm512_load_si512(g0 + GroupRows * t), y1 = _mm512_load_si512(g1 + GroupRows * t);
                _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++) {
                    __m512i x = bcast(a + (size_t)r * words + t);
                    bytes[r][0] = _mm512_add_epi8(bytes[r][0], lookup(_mm512_xor_si512(x, y0), low, high));
                    bytes[r][1] = _mm512_add_epi8(bytes[r][1], lookup(_mm512_xor_si512(x, y1), low, high));
                }
            }
            _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++)
                for (int h = 0; h < 2; h++) { wide[r][h] = _mm512_add_epi64(wide[r][h], widen(bytes[r][h])); bytes[r][h] = _mm512_setzero_si512(); }
        }
        _Pragma("GCC unroll 8") for (int r = 0; r < 4; r++) { store8(c + (size_t)r * n, wide[r][0]); store8(c + (size_t)r * n + 8, wide[r][1]); }
    }
};

// ---- (c) vpermb + Harley-Seal ternlog CSA over 8 inputs: tile of 4 A rows x 1 B group (as C#). ----
// sum = xor3 (0x96) in place; carry = majority(old sum, p, q) derived from the NEW sum (0xD4, as the C#
// kernel: where p = q it is p, elsewhere NOT new sum), so the old sum needs no register copy.
#define CSA(carry, sum, p, q)                                              \
    do {                                                                   \
        __m512i p_ = (p), q_ = (q);                                        \
        sum = _mm512_ternarylogic_epi64(sum, p_, q_, 0x96);                \
        carry = _mm512_ternarylogic_epi64(p_, q_, sum, 0xD4);              \
    } while (0)

template <int Rows>
struct CsaKernel {
    static constexpr int TileRows = Rows, TileGroups = 1;
    static void tile(const uint64_t* a, int words, const uint64_t* g, int* c, int n) {
        const __m512i low = _mm512_load_si512(low_table), high = _mm512_load_si512(high_table);
        __m512i ones[Rows], twos[Rows], fours[Rows], eights[Rows], wide[Rows];
        _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) ones[r] = twos[r] = fours[r] = eights[r] = wide[r] = _mm512_setzero_si512();
        int lookups = 0;
        for (int t = 0; t < words; t += 8) {
            const uint64_t* y = g + GroupRows * t;
            __m512i y0 = _mm512_load_si512(y), y1 = _mm512_load_si512(y + 8), y2 = _mm512_load_si512(y + 16), y3 = _mm512_load_si512(y + 24);
            __m512i y4 = _mm512_load_si512(y + 32), y5 = _mm512_load_si512(y + 40), y6 = _mm512_load_si512(y + 48), y7 = _mm512_load_si512(y + 56);
            _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) {
                const uint64_t* ar = a + (size_t)r * words + t;
                __m512i twosA, twosB, foursA, foursB, e;
                CSA(twosA, ones[r], _mm512_xor_si512(y0, bcast(ar)), _mm512_xor_si512(y1, bcast(ar + 1)));
                CSA(twosB, ones[r], _mm512_xor_si512(y2, bcast(ar + 2)), _mm512_xor_si512(y3, bcast(ar + 3)));
                CSA(foursA, twos[r], twosA, twosB);
                CSA(twosA, ones[r], _mm512_xor_si512(y4, bcast(ar + 4)), _mm512_xor_si512(y5, bcast(ar + 5)));
                CSA(twosB, ones[r], _mm512_xor_si512(y6, bcast(ar + 6)), _mm512_xor_si512(y7, bcast(ar + 7)));
                CSA(foursB, twos[r], twosA, twosB);
                CSA(e, fours[r], foursA, foursB);
                eights[r] = _mm512_add_epi8(eights[r], lookup(e, low, high));
            }
            if (++lookups == 31) {
                _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) { wide[r] = _mm512_add_epi64(wide[r], widen(eights[r])); eights[r] = _mm512_setzero_si512(); }
                lookups = 0;
            }
        }
        _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) {
            // 8 * eights + 4 * fours + 2 * twos + ones, each widened to qwords before weighting.
            __m512i total = _mm512_slli_epi64(_mm512_add_epi64(wide[r], widen(eights[r])), 3);
            total = _mm512_add_epi64(total, _mm512_slli_epi64(widen(lookup(fours[r], low, high)), 2));
            total = _mm512_add_epi64(total, _mm512_slli_epi64(widen(lookup(twos[r], low, high)), 1));
            total = _mm512_add_epi64(total, widen(lookup(ones[r], low, high)));
            store8(c + (size_t)r * n, total);
        }
    }
};

template <class Kernel>
void gemm(const uint64_t* a, const uint64_t* b, int m, int n, int words, int* c, uint64_t* packed) {
    std::memset(c, 0, sizeof(int) * (size_t)m * n);
    pack(b, n, words, packed);
    int groups = n / GroupRows;
    int blockRows = std::max(Kernel::TileRows, L1BlockBytes / (words * 8) / Kernel::TileRows * Kernel::TileRows);
    for (int blockStart = 0; blockStart < m; blockStart += blockRows) {
        int blockEnd = std::min(m, blockStart + blockRows);
        for (int g = 0; g + Kernel::TileGroups <= groups; g += Kernel::TileGroups) {
            const uint64_t* group = packed + (size_t)g * words * GroupRows;
            for (int i = blockStart; i < blockEnd; i += Kernel::TileRows)
                Kernel::tile(a + (size_t)i * words, words, group, c + (size_t)i * n + GroupRows * g, n);
        }
    }
}

// ---- (d) vpermb + CSA with pair-XOR operands (XOR only): A and B words at odd t are stored as the XOR of
// words t-1 and t, so a first-level full adder of inputs p = a0^y0, q = a1^y1 into sum s costs 3 ops, XORs
// included, instead of 4: p = y0 ^ a0; s' = s ^ (y0^y1) ^ (a0^a1) (one ternlog with the broadcast word);
// carry = majority(s, p, q) = (s != s') ? s : p (ternlog 0xD4 of p, s, s').
template <int Rows>
struct PairCsaKernel {
    static constexpr int TileRows = Rows, TileGroups = 1;
    static inline void pair_adder(__m512i& carry, __m512i& sum, __m512i y0, __m512i y01, const uint64_t* a) {
        __m512i p = _mm512_xor_si512(y0, bcast(a));
        __m512i next = _mm512_ternarylogic_epi64(sum, y01, bcast(a + 1), 0x96);
        carry = _mm512_ternarylogic_epi64(p, sum, next, 0xD4);
        sum = next;
    }
    static void tile(const uint64_t* a, int words, const uint64_t* g, int* c, int n) {
        const __m512i low = _mm512_load_si512(low_table), high = _mm512_load_si512(high_table);
        __m512i ones[Rows], twos[Rows], fours[Rows], eights[Rows], wide[Rows];
        _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) ones[r] = twos[r] = fours[r] = eights[r] = wide[r] = _mm512_setzero_si512();
        int lookups = 0;
        for (int t = 0; t < words; t += 8) {
            const uint64_t* y = g + GroupRows * t;
            __m512i y0 = _mm512_load_si512(y), y1 = _mm512_load_si512(y + 8), y2 = _mm512_load_si512(y + 16), y3 = _mm512_load_si512(y + 24);
            __m512i y4 = _mm512_load_si512(y + 32), y5 = _mm512_load_si512(y + 40), y6 = _mm512_load_si512(y + 48), y7 = _mm512_load_si512(y + 56);
            _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) {
                const uint64_t* ar = a + (size_t)r * words + t;
                __m512i twosA, twosB, foursA, foursB, e;
                pair_adder(twosA, ones[r], y0, y1, ar);
                pair_adder(twosB, ones[r], y2, y3, ar + 2);
                CSA(foursA, twos[r], twosA, twosB);
                pair_adder(twosA, ones[r], y4, y5, ar + 4);
                pair_adder(twosB, ones[r], y6, y7, ar + 6);
                CSA(foursB, twos[r], twosA, twosB);
                CSA(e, fours[r], foursA, foursB);
                eights[r] = _mm512_add_epi8(eights[r], lookup(e, low, high));
            }
            if (++lookups == 31) {
                _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) { wide[r] = _mm512_add_epi64(wide[r], widen(eights[r])); eights[r] = _mm512_setzero_si512(); }
                lookups = 0;
            }
        }
        _Pragma("GCC unroll 8") for (int r = 0; r < Rows; r++) {
            __m512i total = _mm512_slli_epi64(_mm512_add_epi64(wide[r], widen(eights[r])), 3);
            total = _mm512_add_epi64(total, _mm512_slli_epi64(widen(lookup(fours[r], low, high)), 2));
            total = _mm512_add_epi64(total, _mm512_slli_epi64(widen(lookup(twos[r], low, high)), 1));
            total = _mm512_add_epi64(total, widen(lookup(ones[r], low, high)));
            store8(c + (size_t)r * n, total);
        }
    }
};

// Odd words become the XOR of themselves and the word before (rows of `words` words, words even).
void pair_xor(uint64_t* x, size_t rows, int words) {
    for (size_t i = 0; i < rows; i++)
        for (int t = 1; t < words; t += 2) x[i * words + t] ^= x[i * words + t - 1];
}

template <class Kernel>
void gemm_pairs(const uint64_t* a, const uint64_t* b, int m, int n, int words, int* c, uint64_t* packed) {
    static std::vector<uint64_t> pairedA, pairedB;
    pairedA.assign(a, a + (size_t)m * words);
    pairedB.assign(b, b + (size_t)n * words);
    pair_xor(pairedA.data(), m, words);
    pair_xor(pairedB.data(), n, words);
    gemm<Kernel>(pairedA.data(), pairedB.data(), m, n, words, c, packed);
}

typedef void (*GemmFunction)(const uint64_t*, const uint64_t*, int, int, int, int*, uint64_t*);

struct Entry { const char* name; GemmFunction run; };

}  // namespace

int main(int argc, char** argv) {
    int m = 256, k = 4096, n = 64, repetitions = 21;
    std::string which = "all";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string name = argv[i], value = argv[i + 1];
        if (name == "--m") m = std::atoi(value.c_str());
        else if (name == "--k") k = std::atoi(value.c_str());
        else if (name == "--n") n = std::atoi(value.c_str());
        else if (name == "--repetitions") repetitions = std::atoi(value.c_str());
        else if (name == "--kernel") which = value;
        else { std::fprintf(stderr, "gemm_native: unknown option %s\n", name.c_str()); return 2; }
    }
    if (m <= 0 || m % 4 != 0 || n <= 0 || n % 16 != 0 || k <= 0 || k % 512 != 0 || repetitions <= 0) {
        std::fprintf(stderr, "gemm_native: needs m %% 4 == 0, n %% 16 == 0, k %% 512 == 0 (got m=%d n=%d k=%d)\n", m, n, k);
        return 2;
    }
    init_tables();
    int words = k / 64;
    std::mt19937_64 random(12345);
    uint64_t* a = (uint64_t*)std::aligned_alloc(64, sizeof(uint64_t) * (size_t)m * words);
    uint64_t* b = (uint64_t*)std::aligned_alloc(64, sizeof(uint64_t) * (size_t)n * words);
    uint64_t* packed = (uint64_t*)std::aligned_alloc(64, sizeof(uint64_t) * (size_t)n * words);
    for (size_t i = 0; i < (size_t)m * words; i++) a[i] = random();
    for (size_t i = 0; i < (size_t)n * words; i++) b[i] = random();
    std::vector<int> c((size_t)m * n), reference((size_t)m * n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            int count = 0;
            for (int t = 0; t < words; t++) count += __builtin_popcountll(a[(size_t)i * words + t] ^ b[(size_t)j * words + t]);
            reference[(size_t)i * n + j] = count;
        }
    long long referenceSum = 0;
    for (int value : reference) referenceSum += value;

    std::vector<Entry> all = {{"vpopcntq", gemm<PopcntKernel>}, {"vpermb", gemm<LookupKernel>}, {"vpermb_csa", gemm<CsaKernel<4>>}, {"vpermb_csa_pairs", gemm_pairs<PairCsaKernel<4>>}};
    std::vector<Entry> chosen;
    for (const Entry& e : all) if (which == "all" || which == e.name) chosen.push_back(e);
    if (chosen.empty()) { std::fprintf(stderr, "gemm_native: unknown kernel %s\n", which.c_str()); return 2; }

    double ops = (double)m * n * k;
    std::vector<int> calls(chosen.size());
    for (size_t s = 0; s < chosen.size(); s++) {
        chosen[s].run(a, b, m, n, words, c.data(), packed);
        if (c != reference) { std::fprintf(stderr, "gemm_native: %s disagrees with the scalar popcount\n", chosen[s].name); return 1; }
        double start = wall_seconds();
        for (int i = 0; i < 3 || wall_seconds() - start < 0.2; i++) chosen[s].run(a, b, m, n, words, c.data(), packed);
        start = wall_seconds();
        chosen[s].run(a, b, m, n, words, c.data(), packed);
        double single = std::max(wall_seconds() - start, 1e-7);
        calls[s] = (int)std::clamp(std::ceil(0.01 / single), 1.0, 1e6);
    }
    std::vector<std::vector<double>> wall(chosen.size()), cpu(chosen.size());
    for (int r = 0; r < repetitions; r++)
        for (size_t s = 0; s < chosen.size(); s++) {
            double cpuStart = thread_seconds(), start = wall_seconds();
            for (int i = 0; i < calls[s]; i++) chosen[s].run(a, b, m, n, words, c.data(), packed);
            wall[s].push_back((wall_seconds() - start) / calls[s]);
            cpu[s].push_back((thread_seconds() - cpuStart) / calls[s]);
        }
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    for (size_t s = 0; s < chosen.size(); s++) {
        chosen[s].run(a, b, m, n, words, c.data(), packed);
        long long checksum = 0;
        for (int value : c) checksum += value;
        double med = median(wall[s]);
        std::printf("{\"bench\":\"gemm\",\"isa\":\"cpp_%s\",\"op\":\"xor\",\"m\":%d,\"k\":%d,\"n\":%d,\"threads\":1,"
                    "\"gops\":%.2f,\"best_gops\":%.2f,\"worst_gops\":%.2f,\"median_us\":%.3f,\"cpu_gops\":%.2f,"
                    "\"cpu_clock\":\"thread\",\"load_average\":%.2f,\"repetitions\":%d,\"calls_per_repetition\":%d,"
                    "\"checksum\":%lld,\"verified\":%s}\n",
                    chosen[s].name, m, k, n, ops / med / 1e9, ops / *std::min_element(wall[s].begin(), wall[s].end()) / 1e9,
                    ops / *std::max_element(wall[s].begin(), wall[s].end()) / 1e9, med * 1e6, ops / median(cpu[s]) / 1e9,
                    load_average(), repetitions, calls[s], checksum, checksum == referenceSum ? "true" : "false");
    }
    std::free(a);
    std::free(b);
    std::free(packed);
    return 0;
}
