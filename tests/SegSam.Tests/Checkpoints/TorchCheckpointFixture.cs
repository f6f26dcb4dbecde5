using SegSam.Tests.Support;

namespace SegSam.Tests.Checkpoints;

/// <summary>
/// Writes a set of checkpoints with real PyTorch (once per test class) together with JSON files
/// holding the expected raw bytes, dtype and shape of each tensor.
/// </summary>
public sealed class TorchCheckpointFixture : IDisposable
{
    public string Dir { get; }

    /// <summary>Files a malicious pickle would create if it were ever executed.</summary>
    public string SystemMarker { get; }
    public string EvalMarker { get; }

    public TorchCheckpointFixture()
    {
        Dir = Directory.CreateTempSubdirectory("segsam-ckpt-").FullName;
        SystemMarker = Path.Combine(Dir, $"pwned-system-{Guid.NewGuid():N}");
        EvalMarker = Path.Combine(Dir, $"pwned-eval-{Guid.NewGuid():N}");
        Python.RunTorch(Script, new[] { Dir, SystemMarker, EvalMarker }, TimeSpan.FromMinutes(3));
    }

    public string this[string file] => Path.Combine(Dir, file);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    private const string Script = """
        import sys, os, io, json, base64, struct, collections, zipfile, pickle, argparse
        import numpy as np
        import torch

        out, system_marker, eval_marker = sys.argv[1], sys.argv[2], sys.argv[3]
        torch.manual_seed(1234)
        OD = collections.OrderedDict

        def rnd(shape, dt):
            if dt.is_floating_point:
                return (torch.randn(*shape, dtype=torch.float64) * 37.5).to(dt)
            if dt == torch.bool:
                return torch.rand(*shape) > 0.5
            lo, hi = {torch.uint8: (0, 256), torch.int8: (-128, 128), torch.int16: (-32768, 32768),
                      torch.int32: (-2**31, 2**31), torch.int64: (-2**62, 2**62)}[dt]
            return torch.randint(lo, hi, shape, dtype=dt)

        def raw(t):
            t = t.detach().contiguous()
            if t.dtype == torch.bfloat16:
                t = t.view(torch.int16)
            return t.numpy().tobytes()

        def expect(name, sd):
            d = OD((k, {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                        "data": base64.b64encode(raw(v)).decode()}) for k, v in sd.items())
            with open(os.path.join(out, name + ".json"), "w") as f:
                json.dump(d, f)

        def path(name):
            return os.path.join(out, name)

        def rewrite(src, dst, transform, compression=zipfile.ZIP_STORED, extra=None):
            with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
                for info in zin.infolist():
                    data = transform(info.filename, zin.read(info.filename))
                    if data is not None:
                        zout.writestr(info.filename, data)
                for k, v in (extra or {}).items():
                    zout.writestr(k, v)

        # Every supported dtype, plus edge values.
        DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64,
                  torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool]
        dts = OD()
        for dt in DTYPES:
            dts["t_" + str(dt).replace("torch.", "")] = rnd((3, 5), dt)
        dts["scalar"] = torch.tensor(-2.5)
        dts["empty"] = torch.zeros(0, 4)
        dts["int64_edges"] = torch.tensor([-2**63, 2**63 - 1, -1, 0, 1], dtype=torch.int64)
        dts["f16_special"] = torch.tensor([float("inf"), float("-inf"), 65504.0, -0.0, 6e-8], dtype=torch.float16)
        dts["bf16_special"] = torch.tensor([1e38, -3.0e-38, 0.1, float("nan")], dtype=torch.bfloat16)
        dts["f32_nan"] = torch.tensor([float("nan"), 1.0, -1.0e-40], dtype=torch.float32)
        torch.save(dts, path("dtypes.pth"))
        torch.save(dts, path("dtypes_p4.pth"), pickle_protocol=4)
        torch.save(dts, path("dtypes_p5.pth"), pickle_protocol=5)
        expect("dtypes", dts)

        # Same file with compressed records, and with big-endian storages plus a byteorder record.
        rewrite(path("dtypes.pth"), path("dtypes_deflated.pth"), lambda n, d: d, zipfile.ZIP_DEFLATED)
        sizes = [v.element_size() for v in dts.values()]
        def to_big(name, data):
            parts = name.split("/")
            if len(parts) == 3 and parts[1] == "data" and sizes[int(parts[2])] > 1:
                return np.frombuffer(data, dtype="u%d" % sizes[int(parts[2])]).byteswap().tobytes()
            return data
        rewrite(path("dtypes.pth"), path("dtypes_be.pth"), to_big, extra={"dtypes/byteorder": "big"})

        # Views: transposed, strided, offset, shared storage, expanded (stride 0).
        x = torch.randn(4, 6)
        base = torch.arange(10, dtype=torch.float32) * 1.5 - 4
        views = OD(x=x, xt=x.t(), every_other=x[:, ::2], row=x[2], tail=x.view(-1)[5:17],
                   a=base[0:3], b=base[2:7], expanded=torch.randn(3, 1).expand(3, 4))
        torch.save(views, path("views.pth"))
        expect("views", views)

        # Training checkpoints wrapping the weights.
        inner = OD(w=rnd((2, 3), torch.float32), b=rnd((3,), torch.float32))
        nested = {"model": inner, "epoch": 3,
                  "optimizer": {"state": {0: {"step": 10, "momentum_buffer": torch.randn(2, 3)}},
                                "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1],
                                                  "nesterov": False, "name": None}]},
                  "note": "ünïcode ✓", "big": 2**70, "neg": -2**40, "pi": 3.14159, "shared": [inner, inner]}
        torch.save(nested, path("nested.pth"))
        # Protocol 2 pickles bytes through _codecs.encode (not allowed); protocol 4 has BINBYTES.
        nested["blob"] = b"\x00\x01bytes"
        nested["long_text"] = "x" * 300
        torch.save(nested, path("nested_p4.pth"), pickle_protocol=4)
        torch.save({"meta": {"arch": "vit_b"}, "model": {"state_dict": inner, "config": "x"}}, path("nested2.pth"))
        torch.save(OD(("module." + k, v) for k, v in inner.items()), path("module_prefix.pth"))
        expect("inner", inner)

        # A real module's state_dict (an OrderedDict carrying _metadata) and bare Parameters.
        m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3), torch.nn.BatchNorm1d(3))
        with torch.no_grad():
            m[1].weight.normal_()
        msd = m.state_dict()
        torch.save(msd, path("nn_module.pth"))
        expect("nn_module", msd)
        params = OD(p=torch.nn.Parameter(torch.randn(2, 2)), q=torch.nn.Parameter(torch.randn(3), requires_grad=False))
        torch.save(params, path("params.pth"))
        expect("params", params)

        # Hostile pickles. Pickling only records the callables; nothing runs here.
        class EvilSystem:
            def __reduce__(self):
                return (os.system, ("touch " + system_marker,))
        class EvilEval:
            def __reduce__(self):
                return (eval, ("__import__('os').system('touch %s')" % eval_marker,))
        torch.save({"w": torch.randn(2), "evil": EvilSystem()}, path("evil_system.pth"))
        torch.save(OD(w=torch.randn(2), evil=EvilEval()), path("evil_eval.pth"))
        torch.save({"args": argparse.Namespace(lr=0.1), "model": inner}, path("namespace.pth"))

        # Legacy (pre-1.6) serialization.
        torch.save(inner, path("legacy.pth"), _use_new_zipfile_serialization=False)

        # Damaged archives.
        rewrite(path("dtypes.pth"), path("missing_record.pth"), lambda n, d: None if n == "dtypes/data/1" else d)
        rewrite(path("dtypes.pth"), path("short_record.pth"), lambda n, d: d[: len(d) // 2] if n == "dtypes/data/0" else d)

        # Hand-crafted pickles whose tensor views reach past their storage.
        class FakeStorage:
            def __init__(self, key, numel):
                self.key, self.numel = key, numel
        class FakeTensor:
            def __init__(self, st, off, size, stride):
                self.args = (st, off, size, stride, False, OD())
            def __reduce__(self):
                return (torch._utils._rebuild_tensor_v2, self.args)
        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, FakeStorage):
                    return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
                return None
        def craft(name, obj, records):
            buf = io.BytesIO()
            Pickler(buf, protocol=2).dump(obj)
            with zipfile.ZipFile(path(name), "w") as z:
                z.writestr("archive/data.pkl", buf.getvalue())
                for k, v in records.items():
                    z.writestr("archive/data/" + k, v)
                z.writestr("archive/version", "3\n")
        st = FakeStorage("0", 4)
        four = {"0": struct.pack("<4f", 1, 2, 3, 4)}
        craft("crafted_ok.pth", {"w": FakeTensor(st, 1, (2,), (2,))}, four)
        craft("oob_size.pth", {"w": FakeTensor(st, 0, (10,), (1,))}, four)
        craft("oob_offset.pth", {"w": FakeTensor(st, 3, (2,), (1,))}, four)
        craft("oob_stride.pth", {"w": FakeTensor(st, 0, (2, 2), (3, 1))}, four)

        # A safetensors file written by hand (no safetensors package needed).
        CODES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
                 torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                 torch.uint8: "U8", torch.bool: "BOOL"}
        header, buf = OD(), b""
        header["__metadata__"] = {"format": "pt", "source": "python ✓"}
        for k, v in dts.items():
            b = raw(v)
            header[k] = {"dtype": CODES[v.dtype], "shape": list(v.shape), "data_offsets": [len(buf), len(buf) + len(b)]}
            buf += b
        h = json.dumps(header).encode("utf-8")
        h += b" " * (-len(h) % 8)
        with open(path("hand.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(h)) + h + buf)
        print("ok")
        """;
}
