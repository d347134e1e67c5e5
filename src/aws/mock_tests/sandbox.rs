//! Game-day calls: a function waiting for its new role, an instance in a region without a default VPC.

use super::*;

#[tokio::test]
async fn a_game_day_function_waits_for_its_new_role_and_ships_a_real_package() {
    use aws_sdk_lambda::operation::create_function::{CreateFunctionError, CreateFunctionOutput};
    // The first answer AWS gives a function made seconds after its role.
    let created = mock!(aws_sdk_lambda::Client::create_function)
        .match_requests(|r| {
            r.code().and_then(|c| c.zip_file()).is_some_and(|zip| {
                let bytes = zip.as_ref();
                // A local file header, index.py named in it: not an empty archive.
                bytes.starts_with(b"PK\x03\x04") && bytes.windows(8).any(|w| w == b"index.py")
            })
        })
        .sequence()
        .error(|| {
            CreateFunctionError::generic(
                ErrorMetadata::builder()
                    .code("InvalidParameterValueException")
                    .message("The role defined for the function cannot be assumed by Lambda.")
                    .build(),
            )
        })
        .output(|| CreateFunctionOutput::builder().build())
        .build();
    let ctx = context(&[&created]);
    let pass = crate::aws::sandbox::Sandbox::after_checks();
    crate::aws::sandbox::create_function(
        &ctx,
        &pass,
        "eu-west-1",
        "miner",
        "arn:aws:iam::123456789012:role/gd-role",
        "run-1",
    )
    .await
    .expect("created once the role is assumable");
    assert_eq!(created.num_calls(), 2);
}

#[tokio::test]
async fn a_game_day_instance_goes_into_a_subnet_where_there_is_no_default_vpc() {
    use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
    use aws_sdk_ec2::operation::run_instances::{RunInstancesError, RunInstancesOutput};
    let no_default_vpc = || {
        RunInstancesError::generic(
            ErrorMetadata::builder()
                .code("VPCIdNotSpecified")
                .message("No default VPC for this user")
                .build(),
        )
    };
    let without_subnet = mock!(Client::run_instances)
        .match_requests(|r| r.subnet_id().is_none())
        .then_error(no_default_vpc);
    let into_subnet = mock!(Client::run_instances)
        .match_requests(|r| r.subnet_id() == Some("subnet-1"))
        .then_output(|| RunInstancesOutput::builder().build());
    let subnets = mock!(Client::describe_subnets).then_output(|| {
        DescribeSubnetsOutput::builder()
            .subnets(
                aws_sdk_ec2::types::Subnet::builder()
                    .subnet_id("subnet-1")
                    .build(),
            )
            .build()
    });
    let ctx = context(&[&without_subnet, &into_subnet, &subnets]);
    let pass = crate::aws::sandbox::Sandbox::after_checks();
    crate::aws::sandbox::launch_instance(&ctx, &pass, "eu-west-1", "ami-1", "web", "run-1")
        .await
        .expect("launched into the subnet");
    assert_eq!(into_subnet.num_calls(), 1);

    // No subnet at all: the error says what to do.
    let none =
        mock!(Client::describe_subnets).then_output(|| DescribeSubnetsOutput::builder().build());
    let ctx = context(&[&without_subnet, &none]);
    let error =
        crate::aws::sandbox::launch_instance(&ctx, &pass, "eu-west-1", "ami-1", "web", "run-1")
            .await
            .expect_err("nowhere to launch");
    assert_eq!(error.code, "VPCIdNotSpecified");
    assert!(
        error.message.contains("create-default-vpc"),
        "{}",
        error.message
    );
}
