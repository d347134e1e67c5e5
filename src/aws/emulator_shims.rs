//! Where S3 and the emulator (moto) do not meet, mended for clients of an overridden endpoint
//! only; clients of real AWS never carry these.
//!
//! - S3 Control's endpoint rules put the account id in the host (`123456789012.s3-control.…`),
//!   which a bare `http://127.0.0.1:PORT` cannot resolve: the endpoint is resolved as the SDK
//!   would (signing name and region kept), then pointed back at the override.
//! - moto answers some outputs with a root element named after the operation
//!   (`<GetBucketVersioningResponse/>` for a bucket never versioned) where the SDK expects the
//!   output's own (`<VersioningConfiguration/>`): the root is renamed before the SDK reads it.

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3control::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use aws_smithy_types::body::SdkBody;

/// The SDK's own resolution, sent to `url` instead of the account's host.
#[derive(Debug)]
pub struct OverriddenHost {
    resolver: DefaultResolver,
    url: String,
}

impl OverriddenHost {
    pub fn new(url: &str) -> Self {
        OverriddenHost {
            resolver: DefaultResolver::new(),
            url: url.to_string(),
        }
    }
}

impl ResolveEndpoint for OverriddenHost {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let resolved = self.resolver.resolve_endpoint(params);
        EndpointFuture::new(async move {
            let endpoint = resolved.await?;
            Ok(endpoint.into_builder().url(self.url.clone()).build())
        })
    }
}

/// Root elements moto names after the operation, and the names the SDK expects.
const ROOTS: [(&str, &str); 1] = [("GetBucketVersioningResponse", "VersioningConfiguration")];

/// Renames a successful answer's root element where moto names it after the operation.
#[derive(Debug)]
pub struct RenamedRoot;

impl Intercept for RenamedRoot {
    fn name(&self) -> &'static str {
        "RenamedRoot"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !context.response().status().is_success() {
            return Ok(());
        }
        let body = std::mem::replace(context.response_mut().body_mut(), SdkBody::taken());
        // The body has not been read yet: it is read, mended and handed on as it is asked for.
        let mended = async move {
            use http_body_util::BodyExt;
            let bytes = body.collect().await?.to_bytes();
            Ok::<_, aws_smithy_types::body::Error>(hyper::body::Frame::data(
                rename_root(&bytes).map_or(bytes, Into::into),
            ))
        };
        *context.response_mut().body_mut() = SdkBody::from_body_1_x(
            http_body_util::StreamBody::new(futures::stream::once(Box::pin(mended))),
        );
        Ok(())
    }
}

/// `xml` with its root element renamed per [`ROOTS`], or `None` when it needs no mending.
fn rename_root(xml: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    // The root is the first element that is not the declaration (`<?xml …?>`).
    let mut start = 0;
    let open = loop {
        let at = start + text[start..].find('<')?;
        if text[at..].starts_with("<?") {
            start = at + text[at..].find("?>")? + 2;
        } else {
            break at;
        }
    };
    let name_end =
        open + 1 + text[open + 1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    let name = &text[open + 1..name_end];
    let (_, expected) = ROOTS.iter().find(|(moto, _)| *moto == name)?;
    let closing = format!("</{name}>");
    let rest = &text[name_end..];
    let rest = match rest.rfind(&closing) {
        Some(at) => format!(
            "{}</{expected}>{}",
            &rest[..at],
            &rest[at + closing.len()..]
        ),
        None => rest.to_string(),
    };
    Some(format!("{}<{expected}{rest}", &text[..open]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_roots_moto_names_after_the_operation_are_renamed() {
        assert_eq!(
            rename_root(
                br#"<?xml version="1.0" encoding="UTF-8"?><GetBucketVersioningResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#
            )
            .as_deref(),
            Some(
                r#"<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#
            )
        );
        assert_eq!(
            rename_root(b"<GetBucketVersioningResponse><Status>Suspended</Status></GetBucketVersioningResponse>")
                .as_deref(),
            Some("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>")
        );
        assert_eq!(
            rename_root(
                b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
            ),
            None
        );
        assert_eq!(
            rename_root(b"<ErrorResponse><Error/></ErrorResponse>"),
            None
        );
        assert_eq!(rename_root(b"not xml"), None);
        assert_eq!(rename_root(&[0xff, 0xfe]), None);
    }
}
