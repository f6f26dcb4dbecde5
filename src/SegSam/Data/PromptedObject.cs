namespace SegSam.Data;

/// <summary>One object to segment: its label value (0: a class-agnostic object, no category), the prompt, and the object's full mask.</summary>
public sealed record PromptedObject(int Label, SamPrompt Prompt, byte[] Mask);
