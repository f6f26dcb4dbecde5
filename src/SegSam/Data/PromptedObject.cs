namespace SegSam.Data;

/// <summary>One object to segment: its label value, the prompt, and the object's full mask.</summary>
public sealed record PromptedObject(int Label, SamPrompt Prompt, byte[] Mask);
