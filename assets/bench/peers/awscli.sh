#!/usr/bin/env bash
# Peer (a): the loop an on-call engineer types with the aws CLI, region after region: Lambda
# functions, snapshots and who each is shared with, AMIs, instances; then IAM users, each
# user's keys, roles. One command at a time, as typed.
# Usage: awscli.sh ENDPOINT_URL [REGION_LIMIT]   (REGION_LIMIT: only the first N regions, for
# estates where the whole loop would take hours; the caller scales the time)
set -euo pipefail
endpoint=$1 limit=${2:-0}
aws() { command aws --endpoint-url "$endpoint" --output text "$@"; }

regions=$(aws ec2 describe-regions --all-regions --query "Regions[?OptInStatus!='not-opted-in'].RegionName" | tr '\t' '\n' | sort)
if [ "$limit" -gt 0 ]; then regions=$(echo "$regions" | head -n "$limit"); fi
for region in $regions; do
  aws lambda list-functions --region "$region" --query 'Functions[].FunctionName' >/dev/null
  for snapshot in $(aws ec2 describe-snapshots --region "$region" --owner-ids self \
      --query 'Snapshots[].SnapshotId'); do
    aws ec2 describe-snapshot-attribute --region "$region" --snapshot-id "$snapshot" \
      --attribute createVolumePermission >/dev/null
  done
  aws ec2 describe-images --region "$region" --owners self --query 'Images[].ImageId' >/dev/null
  aws ec2 describe-instances --region "$region" --query 'Reservations[].Instances[].InstanceId' >/dev/null
done
if [ "$limit" -eq 0 ]; then
  for user in $(aws iam list-users --query 'Users[].UserName'); do
    aws iam list-access-keys --user-name "$user" >/dev/null
  done
  aws iam list-roles --query 'Roles[].RoleName' >/dev/null
fi
echo "aws-cli peer: $(echo "$regions" | wc -w) regions"
