namespace PtqSharp.Data;

/// <summary>Channel order of color image inputs.</summary>
public enum ColorOrder
{
    /// <summary>Red, green, blue (most PyTorch models).</summary>
    RGB,
    /// <summary>Blue, green, red (Caffe and OpenCV-trained models).</summary>
    BGR,
}
