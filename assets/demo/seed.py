"""Seeds a running moto server with a small estate in the middle of a breach, for the demo.

Usage: seed.py ENDPOINT_URL
"""
import io
import json
import sys
import zipfile

import boto3

ENDPOINT = sys.argv[1]
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


iam = client("iam")
iam.create_account_alias(AccountAlias="acme-prod")
iam.create_user(UserName="alice")
iam.create_access_key(UserName="alice")
iam.create_user(UserName="ci-deploy")
iam.create_access_key(UserName="ci-deploy")
iam.create_user(UserName="support-backdoor")
iam.create_access_key(UserName="support-backdoor")
iam.create_login_profile(UserName="support-backdoor", Password="Demo-Passw0rd-not-secret!")
iam.attach_user_policy(UserName="support-backdoor",
                       PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
iam.create_role(RoleName="partner-readonly",
                AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{PARTNER}:root"}))
iam.create_role(RoleName="ops-maintenance",
                AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{STRANGER}:root"}))
role_arn = "arn:aws:iam::123456789012:role/lambda-exec"

client("lambda", "us-east-1").create_function(
    FunctionName="billing-export", Runtime="python3.12", Role=role_arn,
    Handler="index.handler", Code={"ZipFile": code()})
for region in ["ap-south-1", "sa-east-1", "eu-north-1", "ca-central-1"]:
    lam = client("lambda", region)
    lam.create_function(FunctionName="img-resize-worker", Runtime="python3.12", Role=role_arn,
                        Handler="index.handler", Code={"ZipFile": code()})
    lam.add_permission(FunctionName="img-resize-worker", StatementId="public",
                       Action="lambda:InvokeFunction", Principal="*")

ec2 = client("ec2", "us-east-1")
volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, Encrypted=True)
partner_snap = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description="nightly db")["SnapshotId"]
ec2.modify_snapshot_attribute(SnapshotId=partner_snap, Attribute="createVolumePermission",
                              OperationType="add", UserIds=[PARTNER], GroupNames=["all"])

ec2w = client("ec2", "eu-west-1")
volume = ec2w.create_volume(AvailabilityZone="eu-west-1a", Size=20, Encrypted=False)
leaky = ec2w.create_snapshot(VolumeId=volume["VolumeId"], Description="customer exports")["SnapshotId"]
ec2w.modify_snapshot_attribute(SnapshotId=leaky, Attribute="createVolumePermission",
                               OperationType="add", UserIds=[STRANGER])

ec2o = client("ec2", "us-west-2")
image = ec2o.register_image(Name="golden-base-2026-11", RootDeviceName="/dev/sda1")["ImageId"]
ec2o.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
ec2o.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")

print(f"seeded {ENDPOINT}", file=sys.stderr)
