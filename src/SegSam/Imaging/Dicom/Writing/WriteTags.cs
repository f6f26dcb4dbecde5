namespace SegSam.Imaging.Dicom.Writing;

/// <summary>The attributes the SEG and RTSTRUCT writers fill in (tags and VRs from PS3.6 Table 6-1).</summary>
internal static class WriteTags
{
    static DicomTag T(ushort g, ushort e) => new(g, e);

    // Patient, study, series, equipment, SOP common
    public static readonly DicomTag ImageType = T(0x0008, 0x0008);
    public static readonly DicomTag InstanceCreationDate = T(0x0008, 0x0012);
    public static readonly DicomTag InstanceCreationTime = T(0x0008, 0x0013);
    public static readonly DicomTag StudyDate = T(0x0008, 0x0020);
    public static readonly DicomTag SeriesDate = T(0x0008, 0x0021);
    public static readonly DicomTag ContentDate = T(0x0008, 0x0023);
    public static readonly DicomTag StudyTime = T(0x0008, 0x0030);
    public static readonly DicomTag SeriesTime = T(0x0008, 0x0031);
    public static readonly DicomTag ContentTime = T(0x0008, 0x0033);
    public static readonly DicomTag AccessionNumber = T(0x0008, 0x0050);
    public static readonly DicomTag Manufacturer = T(0x0008, 0x0070);
    public static readonly DicomTag ReferringPhysicianName = T(0x0008, 0x0090);
    public static readonly DicomTag CodeValue = T(0x0008, 0x0100);
    public static readonly DicomTag CodingSchemeDesignator = T(0x0008, 0x0102);
    public static readonly DicomTag CodeMeaning = T(0x0008, 0x0104);
    public static readonly DicomTag CodingSchemeIdentificationSequence = T(0x0008, 0x0110);
    public static readonly DicomTag CodingSchemeName = T(0x0008, 0x0115);
    public static readonly DicomTag CodingSchemeResponsibleOrganization = T(0x0008, 0x0116);
    public static readonly DicomTag StudyDescription = T(0x0008, 0x1030);
    public static readonly DicomTag OperatorsName = T(0x0008, 0x1070);
    public static readonly DicomTag ManufacturerModelName = T(0x0008, 0x1090);
    public static readonly DicomTag ReferencedSeriesSequence = T(0x0008, 0x1115);
    public static readonly DicomTag ReferencedSopClassUid = T(0x0008, 0x1150);
    public static readonly DicomTag ReferencedSopInstanceUid = T(0x0008, 0x1155);
    public static readonly DicomTag ReferencedFrameNumber = T(0x0008, 0x1160);
    public static readonly DicomTag ReferencedInstanceSequence = T(0x0008, 0x114A);
    public static readonly DicomTag DerivationDescription = T(0x0008, 0x2111);
    public static readonly DicomTag SourceImageSequence = T(0x0008, 0x2112);
    public static readonly DicomTag DerivationImageSequence = T(0x0008, 0x9124);
    public static readonly DicomTag DerivationCodeSequence = T(0x0008, 0x9215);
    public static readonly DicomTag PurposeOfReferenceCodeSequence = T(0x0040, 0xA170);
    public static readonly DicomTag PatientName = T(0x0010, 0x0010);
    public static readonly DicomTag PatientBirthDate = T(0x0010, 0x0030);
    public static readonly DicomTag PatientSex = T(0x0010, 0x0040);
    public static readonly DicomTag DeviceSerialNumber = T(0x0018, 0x1000);
    public static readonly DicomTag SoftwareVersions = T(0x0018, 0x1020);
    public static readonly DicomTag StudyId = T(0x0020, 0x0010);
    public static readonly DicomTag PositionReferenceIndicator = T(0x0020, 0x1040);
    public static readonly DicomTag DimensionOrganizationSequence = T(0x0020, 0x9221);
    public static readonly DicomTag DimensionIndexSequence = T(0x0020, 0x9222);
    public static readonly DicomTag DimensionOrganizationUid = T(0x0020, 0x9164);
    public static readonly DicomTag DimensionIndexPointer = T(0x0020, 0x9165);
    public static readonly DicomTag FunctionalGroupPointer = T(0x0020, 0x9167);
    public static readonly DicomTag DimensionDescriptionLabel = T(0x0020, 0x9421);
    public static readonly DicomTag DimensionOrganizationType = T(0x0020, 0x9311);
    public static readonly DicomTag FrameContentSequence = T(0x0020, 0x9111);
    public static readonly DicomTag DimensionIndexValues = T(0x0020, 0x9157);
    public static readonly DicomTag ContentLabel = T(0x0070, 0x0080);
    public static readonly DicomTag ContentDescription = T(0x0070, 0x0081);
    public static readonly DicomTag ContentCreatorName = T(0x0070, 0x0084);
    public static readonly DicomTag LossyImageCompression = T(0x0028, 0x2110);

    // Segmentation (PS3.3 C.8.20)
    public static readonly DicomTag SegmentationType = T(0x0062, 0x0001);
    public static readonly DicomTag SegmentSequence = T(0x0062, 0x0002);
    public static readonly DicomTag SegmentedPropertyCategoryCodeSequence = T(0x0062, 0x0003);
    public static readonly DicomTag SegmentNumber = T(0x0062, 0x0004);
    public static readonly DicomTag SegmentLabel = T(0x0062, 0x0005);
    public static readonly DicomTag SegmentDescription = T(0x0062, 0x0006);
    public static readonly DicomTag SegmentationAlgorithmIdentificationSequence = T(0x0062, 0x0007);
    public static readonly DicomTag SegmentAlgorithmType = T(0x0062, 0x0008);
    public static readonly DicomTag SegmentAlgorithmName = T(0x0062, 0x0009);
    public static readonly DicomTag SegmentIdentificationSequence = T(0x0062, 0x000A);
    public static readonly DicomTag ReferencedSegmentNumber = T(0x0062, 0x000B);
    public static readonly DicomTag RecommendedDisplayCIELabValue = T(0x0062, 0x000D);
    public static readonly DicomTag SegmentedPropertyTypeCodeSequence = T(0x0062, 0x000F);
    public static readonly DicomTag AlgorithmFamilyCodeSequence = T(0x0066, 0x002F);
    public static readonly DicomTag AlgorithmVersion = T(0x0066, 0x0031);
    public static readonly DicomTag AlgorithmName = T(0x0066, 0x0036);

    // RT Structure Set (PS3.3 C.8.8.5, C.8.8.6, C.8.8.8)
    public static readonly DicomTag StructureSetLabel = T(0x3006, 0x0002);
    public static readonly DicomTag StructureSetName = T(0x3006, 0x0004);
    public static readonly DicomTag StructureSetDate = T(0x3006, 0x0008);
    public static readonly DicomTag StructureSetTime = T(0x3006, 0x0009);
    public static readonly DicomTag ReferencedFrameOfReferenceSequence = T(0x3006, 0x0010);
    public static readonly DicomTag RtReferencedStudySequence = T(0x3006, 0x0012);
    public static readonly DicomTag RtReferencedSeriesSequence = T(0x3006, 0x0014);
    public static readonly DicomTag ContourImageSequence = T(0x3006, 0x0016);
    public static readonly DicomTag StructureSetRoiSequence = T(0x3006, 0x0020);
    public static readonly DicomTag RoiNumber = T(0x3006, 0x0022);
    public static readonly DicomTag ReferencedFrameOfReferenceUid = T(0x3006, 0x0024);
    public static readonly DicomTag RoiName = T(0x3006, 0x0026);
    public static readonly DicomTag RoiGenerationAlgorithm = T(0x3006, 0x0036);
    public static readonly DicomTag RoiContourSequence = T(0x3006, 0x0039);
    public static readonly DicomTag ContourSequence = T(0x3006, 0x0040);
    public static readonly DicomTag ContourGeometricType = T(0x3006, 0x0042);
    public static readonly DicomTag NumberOfContourPoints = T(0x3006, 0x0046);
    public static readonly DicomTag ContourNumber = T(0x3006, 0x0048);
    public static readonly DicomTag ContourData = T(0x3006, 0x0050);
    public static readonly DicomTag RtRoiObservationsSequence = T(0x3006, 0x0080);
    public static readonly DicomTag ObservationNumber = T(0x3006, 0x0082);
    public static readonly DicomTag ReferencedRoiNumber = T(0x3006, 0x0084);
    public static readonly DicomTag RoiDisplayColor = T(0x3006, 0x002A);
    public static readonly DicomTag RtRoiInterpretedType = T(0x3006, 0x00A4);
    public static readonly DicomTag RoiInterpreter = T(0x3006, 0x00A6);
}
