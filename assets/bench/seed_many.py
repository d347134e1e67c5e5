"""Seeds a moto server with a larger estate for benchmarks.

Usage: seed_many.py ENDPOINT_URL FUNCTIONS_PER_REGION SNAPSHOTS_PER_REGION USERS
Spreads them over eight regions; every fourth snapshot is shared with another account.
"""
import io
import json
import sys
import zipfile

import boto3

ENDPOINT = sys.argv[1]
FUNCTIONS, SNAPSHOTS, USERS = (int(v) for v in sys.argv[2:5])
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-south-1", "ap-northeast-1", "sa-east-1"]


def client(service, region="us-east-1"):
    return boto3.client(service, endpoint_url=ENDPOINT, region_name=region,
                        aws_access_key_id="AKIAFIREBREAKBENCH", aws_secret_access_key="bench")


buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
code = buffer.getvalue()

iam = client("iam")
trust = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="bench-exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
for n in range(USERS):
    iam.create_user(UserName=f"user-{n:04d}")
    iam.create_access_key(UserName=f"user-{n:04d}")
for region in REGIONS:
    lam = client("lambda", region)
    for n in range(FUNCTIONS):
        lam.create_function(FunctionName=f"fn-{n:04d}", Runtime="python3.12", Role=role,
                            Handler="index.handler", Code={"ZipFile": code})
    ec2 = client("ec2", region)
    volume = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8)["VolumeId"]
    for n in range(SNAPSHOTS):
        snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
        if n % 4 == 0:
            ec2.modify_snapshot_attribute(SnapshotId=snapshot, Attribute="createVolumePermission",
                                          OperationType="add", UserIds=["210987654321"])
print(f"seeded {len(REGIONS)} regions x ({FUNCTIONS} functions, {SNAPSHOTS} snapshots), {USERS} users",
      file=sys.stderr)
