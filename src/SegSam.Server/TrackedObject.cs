using SegSam.Inference;

namespace SegSam.Server;

/// <summary>
/// An object a client knows by its id: <see cref="Answer"/> is the prompt's answer (null for a
/// structure found by segment-all), <see cref="Segmented"/> what accepting it keeps — the answer on
/// its slice, or the 3D object once propagated.
/// </summary>
public sealed record TrackedObject(SlicePrediction? Answer, SegmentedObject Segmented)
{
    public static TrackedObject Prompted(SlicePrediction answer) =>
        new(answer, SegmentedObject.OnOneSlice(answer.Axis, answer.Index, answer.Prediction));
}
