//! Evidence bundles: what is saved about a resource before it is contained — files plus a
//! sha256 manifest, written once (mode 0600) under the session's evidence folder.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The files kept about one resource, and whether its code package could be downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub subject: String,
    pub region: String,
    pub files: Vec<(String, Vec<u8>)>,
    /// Why the code package could not be kept, if it could not.
    pub download_problem: Option<String>,
    /// A container-image function's image (`ImageUri`, `ResolvedImageUri`): its code, kept by
    /// reference.
    pub image: Option<(String, Option<String>)>,
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub file: String,
    pub bytes: usize,
    pub sha256: String,
}

/// `manifest.json`: what was saved, with hashes, and what could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub subject: String,
    pub region: String,
    pub captured_at: DateTime<Utc>,
    pub files: Vec<ManifestFile>,
    pub code_download: CodeDownload,
}

/// Whether the code package was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CodeDownload {
    Saved,
    /// A container-image function: the image it runs is recorded (its code stays in ECR).
    ImageRecorded {
        image_uri: String,
        resolved_image_uri: Option<String>,
    },
    Failed {
        reason: String,
    },
}

impl Bundle {
    pub fn new(subject: &str, region: &str) -> Self {
        Bundle {
            subject: subject.to_string(),
            region: region.to_string(),
            files: Vec::new(),
            download_problem: None,
            image: None,
        }
    }

    pub fn add(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.push((name.to_string(), bytes));
    }

    /// Adds `value` as pretty JSON (domain types always serialise).
    pub fn add_json(&mut self, name: &str, value: &impl Serialize) {
        self.add(name, serde_json::to_vec_pretty(value).unwrap_or_default());
    }

    pub fn download_failed(&mut self, problem: String) {
        self.download_problem = Some(problem);
    }

    /// Records a container image as the function's code.
    pub fn image_recorded(&mut self, image_uri: String, resolved_image_uri: Option<String>) {
        self.image = Some((image_uri, resolved_image_uri));
    }

    /// The manifest of this bundle. Pure.
    pub fn manifest(&self, captured_at: DateTime<Utc>) -> Manifest {
        Manifest {
            subject: self.subject.clone(),
            region: self.region.clone(),
            captured_at,
            files: self
                .files
                .iter()
                .map(|(file, bytes)| ManifestFile {
                    file: file.clone(),
                    bytes: bytes.len(),
                    sha256: hex::encode(Sha256::digest(bytes)),
                })
                .collect(),
            code_download: match (&self.image, &self.download_problem) {
                (Some((image_uri, resolved_image_uri)), _) => CodeDownload::ImageRecorded {
                    image_uri: image_uri.clone(),
                    resolved_image_uri: resolved_image_uri.clone(),
                },
                (None, None) => CodeDownload::Saved,
                (None, Some(reason)) => CodeDownload::Failed {
                    reason: reason.clone(),
                },
            },
        }
    }
}

/// Whether the evidence in `directory` keeps the function's code (the package, or the image it
/// runs); `Err` says why not (no evidence, a failed download, an unreadable manifest).
pub fn code_kept(directory: &Path) -> Result<(), String> {
    let path = directory.join("manifest.json");
    let text =
        std::fs::read(&path).map_err(|e| format!("no evidence at {}: {e}", path.display()))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not an evidence manifest: {e}", path.display()))?;
    match manifest.code_download {
        CodeDownload::Saved | CodeDownload::ImageRecorded { .. } => Ok(()),
        CodeDownload::Failed { reason } => {
            Err(format!("its code package was not saved ({reason})"))
        }
    }
}

/// Whether evidence was already saved in `directory`.
pub fn exists(directory: &Path) -> bool {
    directory.join("manifest.json").exists()
}

/// Writes the bundle's files and, last, its manifest into `directory`.
pub fn save(directory: &Path, bundle: &Bundle) -> std::io::Result<()> {
    firebreak_core::files::create_private_dir(directory)?;
    for (file, bytes) in &bundle.files {
        firebreak_core::files::write_private(&directory.join(file), bytes)?;
    }
    let manifest = serde_json::to_vec_pretty(&bundle.manifest(Utc::now()))?;
    firebreak_core::files::write_private(&directory.join("manifest.json"), &manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_hashes_every_file_and_records_a_failed_download() {
        let mut bundle = Bundle::new("miner", "ap-south-1");
        bundle.add("a.txt", b"abc".to_vec());
        bundle.download_failed("HTTP 403".into());
        let manifest = bundle.manifest(Utc::now());
        assert_eq!(
            manifest.files[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(manifest.files[0].bytes, 3);
        assert_eq!(
            manifest.code_download,
            CodeDownload::Failed {
                reason: "HTTP 403".into()
            }
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("ap-south-1/miner");
        assert!(!exists(&target));
        save(&target, &bundle).expect("save");
        assert!(exists(&target));
        assert!(
            code_kept(&target).is_err_and(|why| why.contains("HTTP 403")),
            "a failed download does not keep the code"
        );
        let mut image = Bundle::new("resizer", "ap-south-1");
        image.image_recorded(
            "123456789012.dkr.ecr.ap-south-1.amazonaws.com/resizer:latest".into(),
            Some("123456789012.dkr.ecr.ap-south-1.amazonaws.com/resizer@sha256:ab".into()),
        );
        let image_dir = dir.path().join("ap-south-1/resizer");
        save(&image_dir, &image).expect("save");
        assert_eq!(
            code_kept(&image_dir),
            Ok(()),
            "an image function keeps its image"
        );
        assert_eq!(std::fs::read(target.join("a.txt")).expect("file"), b"abc");
    }
}
