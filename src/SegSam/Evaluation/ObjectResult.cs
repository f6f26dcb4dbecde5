using System.Text.Json.Serialization;

namespace SegSam.Evaluation;

/// <summary>The evaluation of one prompted object (one organ or lesion of one image).</summary>
/// <param name="Category">Ground-truth category name.</param>
/// <param name="Modality">Imaging modality (CT, MR, …).</param>
/// <param name="Prompt">"box" or "point".</param>
/// <param name="ClassCorrect">Whether the predicted category is right; null when the model does not classify.</param>
/// <param name="PredictedCategory">The predicted category name, when there is one.</param>
/// <param name="Hd95">HD95 in mm; null (or NaN) when missing, e.g. an empty prediction.</param>
/// <param name="Nsd">Normalised surface distance; null when not computed.</param>
/// <param name="Source">Identifier of the image the object comes from.</param>
public sealed record ObjectResult(
    string Category,
    string Modality,
    string Prompt,
    double Dice,
    double Iou,
    bool? ClassCorrect,
    string? PredictedCategory,
    double? Hd95,
    double? Nsd,
    string Source)
{
    /// <summary>
    /// Dice of the semantic branch's own mask (SEG-SAM's SAWD predicts one besides SAM's binary
    /// mask); when present it is the mask that mDSC scores.
    /// </summary>
    public double? SemanticMaskDice { get; init; }

    /// <summary>
    /// Dice of the best of the prompt's masks (<see cref="Inference.SemanticPrediction.CandidateMasks"/>
    /// and the answer itself), with <see cref="EvaluationOptions.Oracle"/>; null otherwise. It is at
    /// least <see cref="Dice"/>; equal where the decoder gives one mask.
    /// </summary>
    public double? OracleDice { get; init; }

    /// <summary>
    /// SEG-SAM's semantic DSC: the semantic mask's Dice (else the binary Dice) when the class is
    /// right, 0 when it is wrong, null when unclassified.
    /// </summary>
    [JsonIgnore]
    public double? SemanticDice => ClassCorrect switch { true => SemanticMaskDice ?? Dice, false => 0, null => null };
}
