using SegSam.Bench;

// Benchmarks of SegSam; figures are ratios taken in one run on one machine.
// Usage: dotnet run -c Release --project bench/SegSam.Bench [-- --threads N --repeats N --model vit_b_256[,vit_b,…] --out results.json]
//        dotnet run -c Release --project bench/SegSam.Bench -- --clip [--threads N --repeats N --out results.json]   (CLIP ViT-B/32 towers)
return args.Contains("--clip") ? ClipBenchmark.Run(args) : CoreBenchmark.Run(args);
