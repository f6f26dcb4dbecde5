using System.Text.Json.Nodes;

namespace SegSam.Reporting;

/// <summary>The end of an epoch: the global step reached and the epoch's mean total loss.</summary>
public sealed record EpochEnd(int Epoch, int Step, double MeanLoss, double ElapsedSeconds);
