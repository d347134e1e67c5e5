"""Seeds a running moto server for the demo: a peacetime estate, then an attacker's steps.

Usage: seed.py ENDPOINT_URL peacetime|breach
"""
import io
import json
import sys
import zipfile

import boto3

ENDPOINT, PHASE = sys.argv[1], sys.argv[2]
PARTNER = "210987654321"
STRANGER = "666655554444"


def client(service, region="us-east-1"):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id="AKIAFIREBREAKDEMO",
        aws_secret_access_key="demo-secret",
    )


def trust(principal):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    })


def code():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 'ok'\n")
    return buffer.getvalue()


def peacetime():
    iam = client("iam")
    iam.create_account_alias(AccountAlias="acme-prod")
    for name in ["alice", "ci-deploy"]:
        iam.create_user(UserName=name)
        iam.create_access_key(UserName=name)
    iam.create_role(RoleName="lambda-exec",
                    AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
    iam.create_role(RoleName="partner-readonly",
                    AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{PARTNER}:root"}))
    for region, name in [("us-east-1", "billing-export"), ("eu-west-1", "thumbnails")]:
        client("lambda", region).create_function(
            FunctionName=name, Runtime="python3.12", Role=ROLE_ARN,
            Handler="index.handler", Code={"ZipFile": code()})
    ec2 = client("ec2", "us-east-1")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, Encrypted=True)
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description="nightly db")
    ec2.modify_snapshot_attribute(SnapshotId=snapshot["SnapshotId"],
                                  Attribute="createVolumePermission",
                                  OperationType="add", UserIds=[PARTNER])
    ec2.create_tags(Resources=[snapshot["SnapshotId"]], Tags=[{"Key": "demo", "Value": "partner"}])
    ec2 = client("ec2", "eu-west-1")
    volume = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=20, Encrypted=False)
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description="customer exports")
    ec2.create_tags(Resources=[snapshot["SnapshotId"]], Tags=[{"Key": "demo", "Value": "exports"}])
    ec2 = client("ec2", "us-west-2")
    image = ec2.register_image(Name="golden-base-2026-11", RootDeviceName="/dev/sda1")["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")


def tagged_snapshot(region, value):
    ec2 = client("ec2", region)
    found = ec2.describe_snapshots(Filters=[{"Name": "tag:demo", "Values": [value]}])
    return ec2, found["Snapshots"][0]["SnapshotId"]


def breach():
    iam = client("iam")
    iam.create_user(UserName="support-backdoor")
    iam.create_access_key(UserName="support-backdoor")
    iam.create_login_profile(UserName="support-backdoor", Password="Demo-Passw0rd-not-secret!")
    iam.attach_user_policy(UserName="support-backdoor",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_access_key(UserName="alice")
    iam.create_role(RoleName="ops-maintenance",
                    AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{STRANGER}:root"}))
    for region in ["ap-south-1", "sa-east-1", "eu-north-1", "ca-central-1"]:
        lam = client("lambda", region)
        lam.create_function(FunctionName="img-resize-worker", Runtime="python3.12", Role=ROLE_ARN,
                            Handler="index.handler", Code={"ZipFile": code()})
        lam.add_permission(FunctionName="img-resize-worker", StatementId="public",
                           Action="lambda:InvokeFunction", Principal="*")
    ec2, snapshot = tagged_snapshot("us-east-1", "partner")
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    ec2, snapshot = tagged_snapshot("eu-west-1", "exports")
    ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                  OperationType="add", UserIds=[STRANGER])
    ec2 = client("ec2", "us-west-2")
    image = ec2.describe_images(Owners=["self"])["Images"][0]["ImageId"]
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})


ROLE_ARN = "arn:aws:iam::123456789012:role/lambda-exec"
{"peacetime": peacetime, "breach": breach}[PHASE]()
print(f"seeded {PHASE} into {ENDPOINT}", file=sys.stderr)
