using SegSam.Bench;

// Benchmarks of SegSam; figures are ratios taken in one run on one machine.
// Usage: dotnet run -c Release --project bench/SegSam.Bench [-- --threads N --repeats N --model vit_b_256[,vit_b,…] --out results.json]
//        dotnet run -c Release --project bench/SegSam.Bench -- --clip [--threads N --repeats N --out results.json]   (CLIP ViT-B/32 towers)
//        dotnet run -c Release --project bench/SegSam.Bench -- --precision [--model vit_b_256,vit_b --segsam M --data D --out results.json]   (bf16 against float32)
//        dotnet run -c Release --project bench/SegSam.Bench -- --volume [--pgsam M --ct-size 512,512,200 --pth F --out results.json]   (propagation, PG-SAM volume, .pth load)
//        dotnet run -c Release --project bench/SegSam.Bench -- --server [--model M --prompts N --clients 8 --per-client M --long 10000 --long-delete --cache-mb 256 --new-slices 24 --out bench/results/server.json]   (segsam serve against the library)
//        dotnet run -c Release --project bench/SegSam.Bench -- --queue [--jobs 8 --model M --image F --out bench/results/queue.json]   (RabbitMQ workers against plain `segsam segment` runs; needs the CLI built)
//        dotnet run -c Release --project bench/SegSam.Bench -- --sam-predict --checkpoint F.pth --image F.png --box x0,y0,x1,y1   (the SegSam side of bench/reference/speed.py)
// The core benchmark starts itself again with MklFastPathBenchmark.ChildOption for its row without MKL's fast path.
if (args.Contains(MklFastPathBenchmark.ChildOption)) return MklFastPathBenchmark.Child(args);
return args.Contains("--clip") ? ClipBenchmark.Run(args)
     : args.Contains("--sam-predict") ? PredictBenchmark.Run(args)
     : args.Contains("--volume") ? VolumeBenchmark.Run(args)
     : args.Contains("--precision") ? PrecisionBenchmark.Run(args)
     : args.Contains("--server") ? ServerBenchmark.Run(args)
     : args.Contains("--queue") ? QueueBenchmark.Run(args)
     : CoreBenchmark.Run(args);
