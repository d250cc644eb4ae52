# shellcheck shell=bash
# The helpers of the scripts runnerc writes: everything below the marker line is included,
# byte for byte, in every create-roles.sh and delete-roles.sh (src/lower/aws_cli.rs), after the
# variables the script sets: RUNNER, ACCOUNT, INLINE_POLICY_NAME and OWNER_TAG_KEY.
# tests/aws_cli.rs runs shellcheck on this file and on every generated script.
# What each script sets before the helpers; placeholders here, for shellcheck.
RUNNER=runner ACCOUNT=000000000000 INLINE_POLICY_NAME=runnerc-policy OWNER_TAG_KEY=runnerc:runner
# ---- helpers ----
output=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$output" "$errors"' EXIT

# aws_unless_missing ARGS...: runs `aws ARGS...` quietly, its answer kept in "$output".
# Returns 1 when IAM answers NoSuchEntity; stops the script on any other error. aws-cli v1 and
# v2 exit with different codes, so the error code in the message decides, not the exit status.
aws_unless_missing() {
    if aws "$@" >"$output" 2>"$errors"; then
        return 0
    fi
    if grep -q '(NoSuchEntity)' "$errors"; then
        return 1
    fi
    cat "$errors" >&2
    exit 1
}

usage() {
    echo "usage: $0 [--adopt ROLE-NAME]..." >&2
    echo "  --adopt ROLE-NAME  take over ROLE-NAME, one of this runner's roles that exists without" >&2
    echo "                     the $OWNER_TAG_KEY tag (made by runnerc before 0.2); it gets the tag" >&2
    exit "${1:-2}"
}

# Roles named with --adopt.
adopt=()

# parse_arguments ARGS...: reads the command line.
parse_arguments() {
    while [ $# -gt 0 ]; do
        case $1 in
            --adopt)
                [ $# -ge 2 ] || usage
                adopt+=("$2")
                shift 2
                ;;
            --adopt=*)
                adopt+=("${1#--adopt=}")
                shift
                ;;
            -h | --help) usage 0 ;;
            *)
                echo "$0: unknown argument: $1" >&2
                usage
                ;;
        esac
    done
}

# check_account: stops unless the credentials belong to the runner's account, since the
# documents name it.
check_account() {
    local account
    account=$(aws sts get-caller-identity --query Account --output text)
    if [ "$account" != "$ACCOUNT" ]; then
        echo "$0: the credentials are for account $account, but runner $RUNNER is in account $ACCOUNT; nothing was changed" >&2
        echo "$0: run it with credentials of account $ACCOUNT (for example AWS_PROFILE=<a profile of $ACCOUNT> bash $0), or, if the runner belongs in $account, change the runner's \`account\` line in the spec and build again" >&2
        exit 1
    fi
    echo "using account $ACCOUNT"
}

# The preflight reads every role the script will touch before its first change, and records
# here what it found; a refusal is printed at once and stops the script at end_preflight.
declare -A role_exists=()
declare -A role_checked=()
refusals=0

refuse() {
    echo "$0: $*" >&2
    refusals=$((refusals + 1))
}

# preflight_role NAME PATH: reads role NAME. A role that exists must be this runner's: tagged
# OWNER_TAG_KEY=RUNNER, or untagged and named with --adopt. PATH, unless empty, is the path the
# role must have (IAM cannot move a role).
preflight_role() {
    local name=$1 path=$2 current_path owner adopted=0 other
    role_checked[$name]=1
    for other in "${adopt[@]}"; do
        if [ "$other" = "$name" ]; then
            adopted=1
        fi
    done
    if ! aws_unless_missing iam get-role --role-name "$name" \
        --query "[Role.Path, join('', (Role.Tags || \`[]\`)[?Key=='$OWNER_TAG_KEY'].Value)]" --output text; then
        role_exists[$name]=0
        return 0
    fi
    role_exists[$name]=1
    IFS=$'\t' read -r current_path owner <"$output" || true
    if [ "$owner" = "$RUNNER" ]; then
        :
    elif [ -z "$owner" ] && [ "$adopted" = 1 ]; then
        echo "adopting role $name (--adopt): it gets the tag $OWNER_TAG_KEY=$RUNNER"
    elif [ -z "$owner" ]; then
        refuse "role $name exists, but runnerc did not create it for runner $RUNNER (it has no $OWNER_TAG_KEY tag), so it is left as it is." \
            "Either give the role another name in the spec (\`name\` in its role block) and build again," \
            "or, if an earlier runnerc created it for this runner, run again with --adopt $name"
    else
        refuse "role $name belongs to runner $owner (tag $OWNER_TAG_KEY=$owner), not $RUNNER, so it is left as it is;" \
            "give this runner's role another name in the spec (\`name\` in its role block) and build again"
    fi
    if [ -n "$path" ] && [ "$current_path" != "$path" ]; then
        refuse "role $name exists under path $current_path, not $path; IAM cannot move a role:" \
            "run delete-roles.sh of the build that made it first, or keep \`path \"$current_path\"\` in the spec"
    fi
}

# preflight_existing NAME PATH TRUST_STATEMENT: an `existing` role, someone else's, must exist
# (under PATH, unless PATH is empty) and trust ecs-tasks.amazonaws.com in an Allow statement.
# runnerc does not edit a trust policy it does not own: when the role does not trust ECS tasks,
# the refusal shows the statement to add. No tag is needed, and none is written.
preflight_existing() {
    local name=$1 path=$2 statement=$3 current_path trusted
    role_checked[$name]=1
    if ! aws_unless_missing iam get-role --role-name "$name" \
        --query "[Role.Path, to_string(contains(Role.AssumeRolePolicyDocument.[Statement][] | [?Effect=='Allow'].Principal.Service | [], 'ecs-tasks.amazonaws.com'))]" \
        --output text; then
        role_exists[$name]=0
        refuse "role $name does not exist; the spec names it \`existing\`, so runnerc adds its policy to it but does not create it." \
            "Create the role first, or remove \`existing\` from the spec to have runnerc create one"
        return 0
    fi
    role_exists[$name]=1
    IFS=$'\t' read -r current_path trusted <"$output" || true
    if [ -n "$path" ] && [ "$current_path" != "$path" ]; then
        refuse "role $name is under path $current_path, not $path as the spec's ARN says; correct the ARN in the spec"
    fi
    if [ "$trusted" != true ]; then
        refuse "role $name does not trust ecs-tasks.amazonaws.com, so ECS could not use it; runnerc does not edit a trust policy it does not own." \
            "Add this statement to the role's trust policy, then run again:"$'\n'"$statement"
    fi
}

# preflight_present NAME: records whether role NAME exists, for delete-roles.sh.
preflight_present() {
    role_checked[$1]=1
    if aws_unless_missing iam get-role --role-name "$1" --query Role.RoleName --output text; then
        role_exists[$1]=1
    else
        role_exists[$1]=0
    fi
}

# preflight_delete NAME KEEP_JSON: a role to delete must hold nothing but what create-roles.sh
# put on it (the inline policy INLINE_POLICY_NAME and the managed policies in KEEP_JSON), or
# IAM would refuse to delete it half way.
preflight_delete() {
    local name=$1 keep=$2 others
    if [ "${role_exists[$name]}" != 1 ]; then
        return 0
    fi
    others=$(aws iam list-role-policies --role-name "$name" \
        --query "PolicyNames[?@ != '$INLINE_POLICY_NAME']" --output text)
    if [ -n "$others" ]; then
        refuse "role $name has inline policies runnerc did not put there ($others); remove them first, or keep the role"
    fi
    others=$(aws iam list-attached-role-policies --role-name "$name" \
        --query "AttachedPolicies[?!contains(\`$keep\`, PolicyArn)].PolicyArn" --output text)
    if [ -n "$others" ]; then
        refuse "role $name has managed policies attached that the spec does not list ($others); detach them first, or keep the role"
    fi
}

# end_preflight: stops, before any change, when a role was refused or --adopt named a role
# that is not this runner's.
end_preflight() {
    local name
    for name in "${adopt[@]}"; do
        if [ -z "${role_checked[$name]:-}" ]; then
            refuse "--adopt $name: $name is not a role of runner $RUNNER"
        fi
    done
    if [ "$refusals" -gt 0 ]; then
        echo "$0: nothing was changed" >&2
        exit 1
    fi
}

# ensure_role NAME PATH MAX_SESSION_DURATION DESCRIPTION_JSON BOUNDARY TAGS_JSON TAG_KEYS_JSON TRUST
#   Creates the role, or updates one the preflight found to be this runner's, in place: trust
#   policy, description, session duration, permissions boundary (BOUNDARY, or '' for none) and
#   tags. DESCRIPTION_JSON goes to --cli-input-json, where aws-cli never reads file:// values.
ensure_role() {
    local name=$1 path=$2 duration=$3 description=$4 boundary=$5 tags=$6 tag_keys=$7 trust=$8
    local stale
    if [ "${role_exists[$name]}" = 1 ]; then
        aws iam update-assume-role-policy --role-name "$name" --policy-document "$trust"
        aws iam update-role --role-name "$name" --max-session-duration "$duration" --cli-input-json "$description"
        if [ -n "$boundary" ]; then
            aws iam put-role-permissions-boundary --role-name "$name" --permissions-boundary "$boundary"
        else
            aws_unless_missing iam delete-role-permissions-boundary --role-name "$name" || true
        fi
        # Stale tags go first, so the role never holds more than IAM's 50 on the way.
        stale=$(aws iam list-role-tags --role-name "$name" --query "Tags[?!contains(\`$tag_keys\`, Key)].Key" --output json)
        if [ "$(printf '%s' "$stale" | tr -d ' \n')" != '[]' ]; then
            aws iam untag-role --role-name "$name" --tag-keys "$stale"
        fi
        aws iam tag-role --role-name "$name" --tags "$tags"
        echo "updated role $name"
    else
        local create=(iam create-role --role-name "$name" --path "$path"
            --max-session-duration "$duration" --assume-role-policy-document "$trust"
            --cli-input-json "$description" --tags "$tags")
        if [ -n "$boundary" ]; then
            create+=(--permissions-boundary "$boundary")
        fi
        aws "${create[@]}" >/dev/null
        echo "created role $name"
    fi
}

# put_inline_policy NAME POLICY_NAME DOCUMENT: adds or replaces runnerc's inline policy on the
# role; other inline policies are left as they are.
put_inline_policy() {
    aws iam put-role-policy --role-name "$1" --policy-name "$2" --policy-document "$3"
    echo "put inline policy $2 on $1"
}

# remove_inline_policy NAME POLICY_NAME: removes runnerc's inline policy from the role, if it
# is there (the spec grants the role nothing inline, or the runner is being removed).
remove_inline_policy() {
    if [ "${role_exists[$1]:-1}" = 0 ]; then
        echo "role $1 is not there; nothing to remove"
        return 0
    fi
    if aws_unless_missing iam delete-role-policy --role-name "$1" --policy-name "$2"; then
        echo "removed inline policy $2 from $1"
    fi
}

# attach_managed_policies NAME KEEP_JSON ARN...: detaches managed policies the spec no longer
# lists (KEEP_JSON is the list of ARNs), then attaches each ARN (attaching twice is harmless).
attach_managed_policies() {
    local name=$1 keep=$2 arn listing
    local -a stale=()
    shift 2
    listing=$(aws iam list-attached-role-policies --role-name "$name" \
        --query "AttachedPolicies[?!contains(\`$keep\`, PolicyArn)].PolicyArn" --output text)
    # Into an array, one ARN a field: no ARN is split or read as a glob pattern.
    read -r -d '' -a stale <<<"$listing" || true
    for arn in "${stale[@]}"; do
        aws iam detach-role-policy --role-name "$name" --policy-arn "$arn"
        echo "detached $arn from $name"
    done
    for arn in "$@"; do
        aws iam attach-role-policy --role-name "$name" --policy-arn "$arn"
        echo "attached $arn to $name"
    done
}

# delete_role NAME ARN...: removes the inline policy and the managed attachments that
# create-roles.sh made, in the order IAM requires, then the role. A role the preflight found
# missing is not an error.
delete_role() {
    local name=$1 arn
    shift
    if [ "${role_exists[$name]}" != 1 ]; then
        echo "role $name is already gone"
        return 0
    fi
    if aws_unless_missing iam delete-role-policy --role-name "$name" --policy-name "$INLINE_POLICY_NAME"; then
        echo "removed inline policy $INLINE_POLICY_NAME from $name"
    fi
    for arn in "$@"; do
        if aws_unless_missing iam detach-role-policy --role-name "$name" --policy-arn "$arn"; then
            echo "detached $arn from $name"
        fi
    done
    aws iam delete-role --role-name "$name"
    echo "deleted role $name"
}
