namespace SegSam.Imaging;

/// <summary>The kinds of file <see cref="MedicalImage"/> reads.</summary>
public enum ImageFormat { Nifti, Dicom, MetaImage, Nrrd, Picture, Npy, Npz, Hdf5 }
