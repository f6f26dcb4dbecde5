using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Training;

/// <summary>The loss of one step, with each term kept for the log.</summary>
public sealed record LossTerms(Tensor Total, IReadOnlyDictionary<string, double> Parts);
