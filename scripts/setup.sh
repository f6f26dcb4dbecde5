#!/usr/bin/env bash
# Installs what SegSam needs on Debian 12 beyond the .NET 10 SDK, then restores and builds.
#   python3-torch, -numpy, -scipy, -nibabel, -pydicom, -pil, -h5py, dcmtk, libopenblas0-pthread:
#     independent reference implementations the tests compare against
#   libcharls2, libopenjp2-7: CharLS and OpenJPEG, which decode JPEG-LS and JPEG 2000 DICOM pixel data (P/Invoke)
#   libgdcm-tools, libopenjp2-tools: gdcmconv and opj_compress, which write the JPEG 2000 DICOM files the tests compare against
#   openjph-tools: ojph_compress and ojph_expand (OpenJPH), which write and independently decode the HTJ2K (JPEG 2000 Part 15) streams the tests read
#   dicom3tools: dciodvfy, the independent validator the tests run on the DICOM SEG and RTSTRUCT SegSam writes
#   orthanc, orthanc-dicomweb: a real PACS (Orthanc with its DICOMweb plugin) that the DICOMweb tests start on a
#     free localhost port with a temporary configuration (tests/SegSam.Tests/DicomWeb/OrthancServer.cs)
#   mricron-data: the built-in MRI dataset (Colin27 + AAL atlas)
#   gcc: builds libsegsam_mklcpu.so, MKL's fast path on AMD CPUs (build/MklFastPath.targets)
#   chromium: the browser the viewer's tests drive (tests/SegSam.Tests/Browser, through Playwright's driver)
#   npm: installs NiiVue for the viewer (src/SegSam.Server/package-lock.json), copied into wwwroot/ by the build
#   rabbitmq-server: the broker the batch worker tests start as a private node (tests/SegSam.Tests/Support/RabbitBroker.cs; docs/scale-out.md)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=(python3-torch python3-numpy python3-scipy python3-nibabel python3-pydicom python3-pil python3-h5py dcmtk libcharls2 libopenjp2-7 libgdcm-tools libopenjp2-tools openjph-tools dicom3tools libopenblas0-pthread orthanc orthanc-dicomweb mricron-data gcc chromium rabbitmq-server)
# npm: Debian's package (with its Node.js 18) only when no npm is on PATH (e.g. Node 20 from elsewhere).
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
npm ci --prefix "$root/src/SegSam.Server" --no-audit --no-fund --loglevel=error
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }
dotnet build "$root/SegSam.slnx" -c Release --nologo -v quiet
