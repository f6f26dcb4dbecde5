using SegSam.Bench;

// Benchmarks of SegSam's SAM core; figures are ratios taken in one run on one machine.
// Usage: dotnet run -c Release --project bench/SegSam.Bench [-- --threads N --repeats N --model vit_b_256 --out results.json]
return CoreBenchmark.Run(args);
