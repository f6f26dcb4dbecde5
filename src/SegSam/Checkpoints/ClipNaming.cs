namespace SegSam.Checkpoints;

/// <summary>The parameter naming a CLIP checkpoint uses.</summary>
public enum ClipNaming
{
    /// <summary>OpenAI's state_dict names (clip.load, open_clip's open_clip_model.safetensors, our own files).</summary>
    OpenAi,

    /// <summary>Hugging Face transformers' CLIPModel names (openai/clip-vit-base-patch32 model.safetensors).</summary>
    HuggingFace,
}
