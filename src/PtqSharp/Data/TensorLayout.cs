namespace PtqSharp.Data;

/// <summary>Where the channel axis of an image input is.</summary>
public enum TensorLayout
{
    /// <summary>Batch, channels, height, width: most ONNX vision models.</summary>
    NCHW,

    /// <summary>Batch, height, width, channels: models exported from TensorFlow.</summary>
    NHWC,
}
