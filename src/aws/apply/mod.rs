//! The mutating calls the engine sends, one file per service: each answers whether the account
//! already holds what an operation makes it hold, and sends the calls that make it. Every call
//! needs an [`Armed`] token, which only the playbook engine can make, and only when not
//! read-only. Each step first reads the current state, so re-running a step that is already
//! done reports `AlreadyDone` instead of changing anything. A new service adds a file here and
//! its operations to [`applier`].

mod apigateway;
mod cloudtrail;
mod ec2;
mod eventbridge;
mod guardduty;
mod iam;
mod instance_profiles;
mod lambda;
mod rds;
mod s3;
mod security_groups;

pub use super::armed::Armed;
use super::context::AwsContext;
use super::error::{AwsError, CallSite};
use firebreak_core::model::operation::{DataOperation, Operation};

/// What a mutating call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The change was sent. `inverse` undoes exactly what was sent, read just before sending,
    /// for operations whose inverse depends on that state (sharing, trust, concurrency); `None`
    /// where the plan's inverse is already exact.
    Changed { inverse: Option<Box<Operation>> },
    /// Already in the wanted state: nothing was sent.
    AlreadyDone,
}

/// Which file applies an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applier {
    Iam,
    Lambda,
    /// EC2's sharing and block public access.
    Ec2,
    SecurityGroups,
    InstanceProfiles,
    CloudTrail,
    GuardDuty,
    EventBridge,
    ApiGateway,
    /// Buckets and the account's S3 block.
    S3,
    Rds,
}

/// Where each operation is applied; exhaustive, so a new operation must name its applier.
fn applier(operation: &Operation) -> Applier {
    match operation {
        Operation::ActivateAccessKey { .. }
        | Operation::AttachRolePolicy { .. }
        | Operation::AttachUserPolicy { .. }
        | Operation::DeactivateAccessKey { .. }
        | Operation::DeleteLoginProfile { .. }
        | Operation::DeleteRolePolicy { .. }
        | Operation::DeleteUserPolicy { .. }
        | Operation::DetachRolePolicy { .. }
        | Operation::DetachUserPolicy { .. }
        | Operation::PutRolePolicy { .. }
        | Operation::PutUserPolicy { .. }
        | Operation::UpdateAssumeRolePolicy { .. } => Applier::Iam,
        Operation::AddFunctionPermission { .. }
        | Operation::CaptureFunctionEvidence { .. }
        | Operation::DeleteFunction { .. }
        | Operation::DeleteFunctionConcurrency { .. }
        | Operation::PutFunctionConcurrency { .. }
        | Operation::RemoveFunctionPermission { .. }
        | Operation::SetFunctionUrlAuth { .. } => Applier::Lambda,
        Operation::BlockNewSnapshotSharing
        | Operation::DisableImageBlockPublicAccess
        | Operation::DisableSnapshotBlockPublicAccess
        | Operation::EnableImageBlockPublicAccess
        | Operation::EnableSnapshotBlockPublicAccess
        | Operation::ModifyImageSharing { .. }
        | Operation::ModifySnapshotSharing { .. } => Applier::Ec2,
        Operation::AuthorizeIngress { .. } | Operation::RevokeIngress { .. } => {
            Applier::SecurityGroups
        }
        Operation::AssociateProfile { .. } | Operation::DisassociateProfile { .. } => {
            Applier::InstanceProfiles
        }
        Operation::StartLogging { .. } | Operation::StopLogging { .. } => Applier::CloudTrail,
        Operation::CreateDetector
        | Operation::DisableDetector { .. }
        | Operation::EnableDetector { .. } => Applier::GuardDuty,
        Operation::DisableEventRule { .. } | Operation::EnableEventRule { .. } => {
            Applier::EventBridge
        }
        Operation::DisableApiKey { .. } | Operation::EnableApiKey { .. } => Applier::ApiGateway,
        Operation::Data(data) => match data {
            DataOperation::EditBucketPolicy { .. }
            | DataOperation::PutBucketPolicy { .. }
            | DataOperation::EditBucketAcl { .. }
            | DataOperation::SetBucketBlock { .. }
            | DataOperation::SetAccountBlock { .. }
            | DataOperation::SetBucketVersioning { .. } => Applier::S3,
            DataOperation::ModifyDbSnapshotSharing { .. }
            | DataOperation::SetDatabasePublic { .. }
            | DataOperation::SetDeletionProtection { .. } => Applier::Rds,
        },
    }
}

/// Sends `operation` in `region` unless the account is already in the wanted state.
pub async fn apply(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    armed: &Armed,
) -> Result<Applied, AwsError> {
    if in_wanted_state(ctx, region, operation).await? {
        return Ok(Applied::AlreadyDone);
    }
    let inverse = send(ctx, region, operation, armed).await?;
    Ok(Applied::Changed {
        inverse: inverse.map(Box::new),
    })
}

/// Whether the account already holds what `operation` makes it hold. Reads only: the engine
/// asks again after a call that failed or timed out, since AWS may have applied it anyway.
pub async fn in_wanted_state(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
) -> Result<bool, AwsError> {
    let wanted = match applier(operation) {
        Applier::Iam => iam::in_wanted_state(ctx, region, operation).await?,
        Applier::Lambda => lambda::in_wanted_state(ctx, region, operation).await?,
        Applier::Ec2 => ec2::in_wanted_state(ctx, region, operation).await?,
        Applier::SecurityGroups => security_groups::in_wanted_state(ctx, region, operation).await?,
        Applier::InstanceProfiles => {
            instance_profiles::in_wanted_state(ctx, region, operation).await?
        }
        Applier::CloudTrail => cloudtrail::in_wanted_state(ctx, region, operation).await?,
        Applier::GuardDuty => guardduty::in_wanted_state(ctx, region, operation).await?,
        Applier::EventBridge => eventbridge::in_wanted_state(ctx, region, operation).await?,
        Applier::ApiGateway => apigateway::in_wanted_state(ctx, region, operation).await?,
        Applier::S3 => s3::in_wanted_state(ctx, region, operation).await?,
        Applier::Rds => rds::in_wanted_state(ctx, region, operation).await?,
    };
    wanted.ok_or_else(|| unhandled(region, operation))
}

/// Sends the calls that make `operation` (the state was read first and is not as wanted).
/// Returns the inverse of the delta actually sent where it depends on the state just before
/// (see [`Applied::Changed`]).
async fn send(
    ctx: &AwsContext,
    region: &str,
    operation: &Operation,
    armed: &Armed,
) -> Result<Option<Operation>, AwsError> {
    let ctx = &ctx.for_changes();
    let sent = match applier(operation) {
        Applier::Iam => iam::send(ctx, region, operation, armed).await?,
        Applier::Lambda => lambda::send(ctx, region, operation, armed).await?,
        Applier::Ec2 => ec2::send(ctx, region, operation, armed).await?,
        Applier::SecurityGroups => security_groups::send(ctx, region, operation, armed).await?,
        Applier::InstanceProfiles => instance_profiles::send(ctx, region, operation, armed).await?,
        Applier::CloudTrail => cloudtrail::send(ctx, region, operation, armed).await?,
        Applier::GuardDuty => guardduty::send(ctx, region, operation, armed).await?,
        Applier::EventBridge => eventbridge::send(ctx, region, operation, armed).await?,
        Applier::ApiGateway => apigateway::send(ctx, region, operation, armed).await?,
        Applier::S3 => s3::send(ctx, region, operation, armed).await?,
        Applier::Rds => rds::send(ctx, region, operation, armed).await?,
    };
    sent.ok_or_else(|| unhandled(region, operation))
}

/// The error for an operation its applier does not know: the routing and the file have drifted
/// apart, and nothing is sent rather than a silent success.
fn unhandled(region: &str, operation: &Operation) -> AwsError {
    AwsError {
        code: "Internal".into(),
        message: format!(
            "{} has no applier that knows it: nothing was sent",
            operation.api()
        ),
        ..CallSite {
            service: operation.service(),
            operation: operation.api(),
            region,
        }
        .local_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_goes_to_its_own_services_applier() {
        let cases = [
            (
                Operation::DeleteLoginProfile {
                    user: "mallory".into(),
                },
                Applier::Iam,
            ),
            (
                Operation::PutFunctionConcurrency {
                    function: "miner".into(),
                    reserved: 0,
                },
                Applier::Lambda,
            ),
            (Operation::EnableImageBlockPublicAccess, Applier::Ec2),
            (Operation::CreateDetector, Applier::GuardDuty),
            (
                Operation::StartLogging {
                    trail: "org-trail".into(),
                },
                Applier::CloudTrail,
            ),
            (
                Operation::DisableApiKey {
                    key_id: "k1".into(),
                },
                Applier::ApiGateway,
            ),
            (
                Operation::Data(DataOperation::SetBucketBlock {
                    bucket: "ledger".into(),
                    block: None,
                }),
                Applier::S3,
            ),
            (
                Operation::Data(DataOperation::SetDatabasePublic {
                    database: "orders".into(),
                    public: false,
                }),
                Applier::Rds,
            ),
        ];
        for (operation, expected) in cases {
            assert_eq!(applier(&operation), expected, "{operation:?}");
            let service = match expected {
                Applier::Iam => "iam",
                Applier::Lambda => "lambda",
                Applier::Ec2 | Applier::SecurityGroups | Applier::InstanceProfiles => "ec2",
                Applier::CloudTrail => "cloudtrail",
                Applier::GuardDuty => "guardduty",
                Applier::EventBridge => "events",
                Applier::ApiGateway => "apigateway",
                Applier::S3 => "s3",
                Applier::Rds => "rds",
            };
            assert_eq!(operation.service(), service, "{operation:?}");
        }
        let error = unhandled("eu-west-1", &Operation::CreateDetector);
        assert_eq!(error.code, "Internal");
        assert!(error.message.contains("nothing was sent"), "{error}");
    }
}
