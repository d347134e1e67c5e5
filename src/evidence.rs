//! Evidence bundles: what is saved about a resource before it is contained — files plus a
//! sha256 manifest, written once (mode 0600) under the session's evidence folder.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The files kept about one resource, and whether its code package could be downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub subject: String,
    pub region: String,
    pub files: Vec<(String, Vec<u8>)>,
    /// Why the code package could not be kept, if it could not.
    pub download_problem: Option<String>,
}

/// One manifest line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestFile {
    pub file: String,
    pub bytes: usize,
    pub sha256: String,
}

/// `manifest.json`: what was saved, with hashes, and what could not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub subject: String,
    pub region: String,
    pub captured_at: DateTime<Utc>,
    pub files: Vec<ManifestFile>,
    pub code_download: CodeDownload,
}

/// Whether the code package was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CodeDownload {
    Saved,
    Failed { reason: String },
}

impl Bundle {
    pub fn new(subject: &str, region: &str) -> Self {
        Bundle {
            subject: subject.to_string(),
            region: region.to_string(),
            files: Vec::new(),
            download_problem: None,
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
            code_download: match &self.download_problem {
                None => CodeDownload::Saved,
                Some(reason) => CodeDownload::Failed {
                    reason: reason.clone(),
                },
            },
        }
    }
}

/// Whether evidence was already saved in `directory`.
pub fn exists(directory: &Path) -> bool {
    directory.join("manifest.json").exists()
}

/// Writes the bundle's files and, last, its manifest into `directory`.
pub fn save(directory: &Path, bundle: &Bundle) -> std::io::Result<()> {
    std::fs::create_dir_all(directory)?;
    for (file, bytes) in &bundle.files {
        crate::files::write_private(&directory.join(file), bytes)?;
    }
    let manifest = serde_json::to_vec_pretty(&bundle.manifest(Utc::now()))?;
    crate::files::write_private(&directory.join("manifest.json"), &manifest)
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
        assert_eq!(std::fs::read(target.join("a.txt")).expect("file"), b"abc");
    }
}
