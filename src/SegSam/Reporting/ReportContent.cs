using SegSam.Evaluation;

namespace SegSam.Reporting;

/// <summary>What an <see cref="HtmlReport"/> shows; everything but the title and the metrics is optional.</summary>
public sealed record ReportContent(string Title, MetricsReport Metrics)
{
    /// <summary>The run summary under the title, in order: dataset, model, prompts, wall time, …</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts { get; init; } = [];

    public IReadOnlyList<ReportOverlay> Overlays { get; init; } = [];

    /// <summary>A train_log.jsonl whose curves the report shows.</summary>
    public string? TrainingLogPath { get; init; }

    /// <summary>Markdown-ish text: headings, bullet lists, paragraphs, fenced blocks and tables.</summary>
    public string? ModelCard { get; init; }

    /// <summary>A prompt-free (PG-SAM) part after the prompted one.</summary>
    public PromptFreeSection? PromptFree { get; init; }

    /// <summary>The command that produced the report, shown in the footer.</summary>
    public string? CommandLine { get; init; }
}
