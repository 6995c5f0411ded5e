using System.Runtime.CompilerServices;

// The tests check each operator path (internal classes) against its reference; the benchmarks time them.
[assembly: InternalsVisibleTo("BoolNet.Tests")]
[assembly: InternalsVisibleTo("BoolNet.Bench")]
