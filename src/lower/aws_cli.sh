# shellcheck shell=bash
# The helpers of the scripts runnerc writes: everything below the marker line is included,
# byte for byte, in every create-roles.sh and delete-roles.sh (src/lower/aws_cli.rs), after the
# variables the script sets: RUNNER, ACCOUNT, RUNNER_PARTITION, RUNNER_REGION, INLINE_POLICY_NAME
# and OWNER_TAG_KEY.
# tests/aws_cli.rs runs shellcheck on this file and on every generated script.
# What each script sets before the helpers; placeholders here, for shellcheck.
RUNNER=runner ACCOUNT=000000000000 RUNNER_PARTITION=aws RUNNER_REGION=eu-west-1
INLINE_POLICY_NAME=runnerc-policy OWNER_TAG_KEY=runnerc:runner
# ---- helpers ----
output=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$output" "$errors"' EXIT
# Stopped by a signal, the script exits with the shell's status for it, through the EXIT trap
# (tests/aws_cli.rs); only SIGKILL, which no program can catch, leaves the two files behind.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

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
    if ! aws_unless_missing iam get-role --role-name="$name" \
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

# ---- the trust check of an existing role, by meaning ----
# ECS starts a task by asking for sts:AssumeRole as the service principal ecs-tasks.amazonaws.com,
# with aws:SourceAccount = the runner's account and, for a task role, aws:SourceArn = the task's
# ARN, arn:<partition>:ecs:<region>:<account>:task/... (AWS documents no aws:SourceArn for the
# execution role). The role's trust policy is read once and each statement is judged against that
# request: it applies (yes), does not (no), or runnerc cannot tell (maybe: an operator or key it
# does not evaluate, NotPrincipal, a narrower aws:SourceArn). The role lets the runner's tasks in
# only when an Allow applies and no Deny applies or may apply; on any maybe it refuses and shows
# the statement to check. It never accepts what it cannot decide.

# Separators of the fields read from the trust policy; no IAM value holds them.
readonly FS=$'\x1c' US=$'\x1f' RS=$'\x1e' GS=$'\x1d'
# The role's path on the first line, then one line per trust statement, its fields joined by
# FS: effect, actions, NotAction?, NotAction's actions, services, Principal "*"?, NotPrincipal?,
# condition operators (US), their keys (RS between operators, US between keys), their values
# (GS between operators, RS between keys, US between values), the statement as JSON.
readonly TRUST_FIELDS="Effect, join('$US', [Action][] || \`[]\`), to_string(NotAction != null), join('$US', [NotAction][] || \`[]\`), join('$US', [Principal.Service][] || \`[]\`), to_string(Principal == '*' || contains([Principal.AWS][] || \`[]\`, '*')), to_string(NotPrincipal != null), join('$US', keys(Condition || \`{}\`)), join('$RS', values(Condition || \`{}\`)[].join('$US', keys(@))), join('$GS', values(Condition || \`{}\`)[].join('$RS', values(@)[*].join('$US', map(&to_string(@), [@][])))), to_string(@)"
readonly TRUST_QUERY="join('"$'\n'"', [[Role.Path], Role.AssumeRolePolicyDocument.[Statement][] | [].join('$FS', [$TRUST_FIELDS])][])"

# like VALUE PATTERN: IAM's wildcard match (* any run, ? one character); every other character
# of PATTERN is literal.
like() {
    local pattern=$2 glob='' c i
    for ((i = 0; i < ${#pattern}; i++)); do
        c=${pattern:i:1}
        case $c in
            '*' | '?') glob+=$c ;;
            *) glob+="\\$c" ;;
        esac
    done
    # shellcheck disable=SC2053 # the right side is a pattern on purpose
    [[ $1 == $glob ]]
}

# any_like VALUE PATTERN...: true when one of the patterns matches VALUE.
any_like() {
    local value=$1 pattern
    shift
    for pattern in "$@"; do
        if like "$value" "$pattern"; then
            return 0
        fi
    done
    return 1
}

# task_arn_verdict OPERATOR PATTERN: whether aws:SourceArn PATTERN admits every task of the
# runner (yes), none (no) or some (maybe). ARN operators compare the six parts one by one.
task_arn_verdict() {
    local operator=$1 rest=$2 i
    local -a parts=() want=(arn "$RUNNER_PARTITION" ecs "$RUNNER_REGION" "$ACCOUNT")
    for i in 0 1 2 3 4; do
        if [[ $rest != *:* ]]; then
            if [ "$operator" = StringLike ] && like "arn:$RUNNER_PARTITION:ecs:$RUNNER_REGION:$ACCOUNT:task/runnerc-check/0" "$2"; then
                echo yes
            else
                echo no
            fi
            return 0
        fi
        parts+=("${rest%%:*}")
        rest=${rest#*:}
    done
    for i in 0 1 2 3 4; do
        if [ "$operator" = StringEquals ]; then
            [ "${parts[i]}" = "${want[i]}" ] || { echo no; return 0; }
        else
            like "${want[i]}" "${parts[i]}" || { echo no; return 0; }
        fi
    done
    if [ "$operator" != StringEquals ] && [ "$rest" = '*' ]; then
        echo yes
    else
        echo maybe
    fi
}

# condition_verdict ROLE_KIND OPERATOR KEY VALUE...: one condition key of a statement, judged
# against the request ECS makes: yes, no or maybe.
condition_verdict() {
    local kind=$1 operator=$2 key=${3,,} value verdict any=no
    local base=${operator%IfExists}
    shift 3
    case $key in
        aws:sourceaccount)
            case $base in
                StringEquals)
                    for value in "$@"; do
                        [ "$value" = "$ACCOUNT" ] && any=yes
                    done
                    echo "$any"
                    ;;
                StringLike)
                    if any_like "$ACCOUNT" "$@"; then echo yes; else echo no; fi
                    ;;
                StringNotEquals)
                    for value in "$@"; do
                        [ "$value" = "$ACCOUNT" ] && { echo no; return 0; }
                    done
                    echo yes
                    ;;
                *) echo maybe ;;
            esac
            ;;
        aws:sourcearn)
            case $base in
                StringEquals | StringLike | ArnLike | ArnEquals)
                    for value in "$@"; do
                        verdict=$(task_arn_verdict "${base/ArnEquals/ArnLike}" "$value")
                        if [ "$verdict" = yes ] || { [ "$verdict" = maybe ] && [ "$any" = no ]; }; then
                            any=$verdict
                        fi
                    done
                    ;;
                *) any=maybe ;;
            esac
            # ECS is not documented to send aws:SourceArn for the execution role: without the
            # key, only an ...IfExists operator holds.
            if [ "$kind" = execution ]; then
                if [ "$base" != "$operator" ] && [ "$any" = yes ]; then
                    any=yes
                elif [ "$any" != no ]; then
                    any=maybe
                fi
            fi
            echo "$any"
            ;;
        *) echo maybe ;;
    esac
}

# and3 VERDICT VERDICT: three-valued "and".
and3() {
    if [ "$1" = no ] || [ "$2" = no ]; then
        echo no
    elif [ "$1" = maybe ] || [ "$2" = maybe ]; then
        echo maybe
    else
        echo yes
    fi
}

# statement_verdict ROLE_KIND FIELDS...: whether one trust statement (the fields of
# TRUST_QUERY) applies to ECS's request for this runner's tasks.
statement_verdict() {
    local kind=$1 actions=$3 not_action=$4 not_actions=$5 services=$6 star=$7 not_principal=$8
    local operators=$9 keys=${10} values=${11} verdict=yes i j
    local -a list=() operator_list=() key_groups=() value_groups=() key_list=() value_list=()
    # Principal
    IFS=$US read -r -a list <<<"$services"
    if [ "$not_principal" = true ]; then
        verdict=maybe
    elif [ "$star" != true ] && ! printf '%s\n' "${list[@],,}" | grep -qxF 'ecs-tasks.amazonaws.com'; then
        echo no
        return 0
    fi
    # Action (IAM compares action names without regard to case)
    if [ "$not_action" = true ]; then
        IFS=$US read -r -a list <<<"${not_actions,,}"
        if any_like sts:assumerole "${list[@]}"; then
            echo no
            return 0
        fi
    else
        IFS=$US read -r -a list <<<"${actions,,}"
        if ! any_like sts:assumerole "${list[@]}"; then
            echo no
            return 0
        fi
    fi
    # Conditions: every operator and key must hold.
    IFS=$US read -r -a operator_list <<<"$operators"
    IFS=$RS read -r -a key_groups <<<"$keys"
    IFS=$GS read -r -a value_groups <<<"$values"
    for i in "${!operator_list[@]}"; do
        IFS=$US read -r -a key_list <<<"${key_groups[i]:-}"
        IFS=$RS read -r -a value_list <<<"${value_groups[i]:-}"
        for j in "${!key_list[@]}"; do
            IFS=$US read -r -a list <<<"${value_list[j]:-}"
            verdict=$(and3 "$verdict" "$(condition_verdict "$kind" "${operator_list[i]}" "${key_list[j]}" "${list[@]}")")
        done
    done
    echo "$verdict"
}

# check_ecs_trust NAME ROLE_KIND TRUST_STATEMENT: judges the trust policy read into "$output"
# by preflight_existing; refuses unless it lets this runner's ECS tasks in: an Allow applies
# and no Deny applies or may apply.
check_ecs_trust() {
    local name=$1 kind=$2 statement=$3 verdict allowed=no
    local -a fields=() denies=() unsure_denies=() unsure_allows=()
    while IFS=$FS read -r -a fields; do
        [ "${#fields[@]}" -ge 11 ] || continue
        verdict=$(statement_verdict "$kind" "${fields[@]}")
        case ${fields[0]}:$verdict in
            Deny:yes) denies+=("${fields[10]}") ;;
            Deny:maybe) unsure_denies+=("${fields[10]}") ;;
            Allow:maybe) unsure_allows+=("${fields[10]}") ;;
            Allow:yes) allowed=yes ;;
        esac
    done < <(tail -n +2 "$output")
    if [ "${#denies[@]}" -gt 0 ]; then
        refuse "role $name's trust policy explicitly denies ECS tasks of account $ACCOUNT the role, so ECS could not use it; runnerc does not edit a trust policy it does not own." \
            "Remove or narrow this statement, then run again:"$'\n'"$(printf '%s\n' "${denies[@]}")"
    elif [ "${#unsure_denies[@]}" -gt 0 ] || { [ "$allowed" != yes ] && [ "${#unsure_allows[@]}" -gt 0 ]; }; then
        refuse "runnerc cannot tell whether role $name's trust policy lets this runner's ECS tasks (account $ACCOUNT, region $RUNNER_REGION) assume it: it does not evaluate every operator, key or principal of these statements, and never accepts what it cannot decide." \
            "Check them; where they are meant to let ECS tasks in, write what they allow as the statement below, then run again:"$'\n'"$(printf '%s\n' "${unsure_denies[@]}" "${unsure_allows[@]}")"$'\n'"the statement runnerc checks for:"$'\n'"$statement"
    elif [ "$allowed" != yes ]; then
        refuse "role $name does not trust ecs-tasks.amazonaws.com for tasks of account $ACCOUNT, so ECS could not use it; runnerc does not edit a trust policy it does not own." \
            "Add this statement to the role's trust policy, then run again:"$'\n'"$statement"
    fi
}

# preflight_existing NAME ROLE_KIND PATH TRUST_STATEMENT: an `existing` role, someone else's,
# must exist (under PATH, unless PATH is empty) and let this runner's ECS tasks in by the
# meaning of its trust policy (check_ecs_trust). runnerc does not edit a trust policy it does
# not own: the refusal shows the statement to add or check. No tag is needed, and none is
# written.
preflight_existing() {
    local name=$1 kind=$2 path=$3 statement=$4 current_path
    role_checked[$name]=1
    if ! aws_unless_missing iam get-role --role-name="$name" \
        --query "$TRUST_QUERY" --output text; then
        role_exists[$name]=0
        refuse "role $name does not exist; the spec names it \`existing\`, so runnerc adds its policy to it but does not create it." \
            "Create the role first, or remove \`existing\` from the spec to have runnerc create one"
        return 0
    fi
    role_exists[$name]=1
    read -r current_path <"$output" || true
    if [ -n "$path" ] && [ "$current_path" != "$path" ]; then
        refuse "role $name is under path $current_path, not $path as the spec's ARN says; correct the ARN in the spec"
    fi
    check_ecs_trust "$name" "$kind" "$statement"
}

# preflight_policy WHAT ARN: a managed policy the run attaches, or a permissions boundary,
# must exist before the first change, or IAM would refuse it half way.
preflight_policy() {
    if ! aws_unless_missing iam get-policy --policy-arn="$2" --query Policy.Arn --output text; then
        refuse "the $1 $2 does not exist in this account or partition; correct the ARN in the spec (a typo?), or create the policy first"
    fi
}

# preflight_present NAME: records whether role NAME exists, for delete-roles.sh.
preflight_present() {
    role_checked[$1]=1
    if aws_unless_missing iam get-role --role-name="$1" --query Role.RoleName --output text; then
        role_exists[$1]=1
    else
        role_exists[$1]=0
    fi
}

# held_by NAME ARGS...: what `aws iam ARGS... --role-name=NAME --output text` lists, into
# $held. Returns 1 when the role went away meanwhile (another run): then it is already gone.
held_by() {
    local name=$1
    shift
    if ! aws_unless_missing iam "$@" --role-name="$name" --output text; then
        role_exists[$name]=0
        return 1
    fi
    held=$(<"$output")
}

# preflight_delete NAME KEEP_JSON: a role to delete must hold nothing but what create-roles.sh
# put on it (the inline policy INLINE_POLICY_NAME and the managed policies in KEEP_JSON), and be
# in no instance profile, or IAM would refuse to delete it half way.
preflight_delete() {
    local name=$1 keep=$2 held
    if [ "${role_exists[$name]}" != 1 ]; then
        return 0
    fi
    held_by "$name" list-role-policies --query "PolicyNames[?@ != '$INLINE_POLICY_NAME']" || return 0
    if [ -n "$held" ]; then
        refuse "role $name has inline policies runnerc did not put there ($held); remove them first, or keep the role"
    fi
    held_by "$name" list-attached-role-policies \
        --query "AttachedPolicies[?!contains(\`$keep\`, PolicyArn)].PolicyArn" || return 0
    if [ -n "$held" ]; then
        refuse "role $name has managed policies attached that the spec does not list ($held); detach them first, or keep the role"
    fi
    held_by "$name" list-instance-profiles-for-role --query "InstanceProfiles[].InstanceProfileName" || return 0
    if [ -n "$held" ]; then
        refuse "role $name is in the instance profile(s) $held, which IAM refuses to delete it through; runnerc did not put it there." \
            "Remove it first (aws iam remove-role-from-instance-profile --instance-profile-name PROFILE --role-name $name), or keep the role"
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

# jmes_literal JSON: JSON as the inside of a JMESPath literal (`...`): backticks escaped.
jmes_literal() {
    printf '%s' "${1//\`/\\\`}"
}

# role_is_current NAME DURATION DESCRIPTION_JSON BOUNDARY TAGS_JSON TRUST: reads the role and
# compares it with what ensure_role would write, with aws-cli's JMESPath: documents by meaning
# (key order and white space aside), tags as a set. Into "$output", tab-separated, True where
# the role already holds it: trust policy, description and session duration, boundary, tags.
role_is_current() {
    local name=$1 duration=$2 description=$3 boundary=$4 tags=$5 trust=$6
    aws iam get-role --role-name="$name" --output text --query "Role.[
        AssumeRolePolicyDocument == \`$(jmes_literal "$trust")\`,
        {Description: Description || ''} == \`$(jmes_literal "$description")\` && MaxSessionDuration == \`$duration\`,
        (PermissionsBoundary.PermissionsBoundaryArn || '') == \`$(jmes_literal "\"$boundary\"")\`,
        sort_by(Tags || \`[]\`, &Key) == sort_by(\`$(jmes_literal "$tags")\`, &Key)]" >"$output"
}

# ensure_role NAME PATH MAX_SESSION_DURATION DESCRIPTION_JSON BOUNDARY TAGS_JSON TAG_KEYS_JSON TRUST
#   Creates the role, or updates one the preflight found to be this runner's, in place: trust
#   policy, description, session duration, permissions boundary (BOUNDARY, or '' for none) and
#   tags, each only when the role does not hold it already (role_is_current); a role that
#   holds them all is "up to date" and nothing is written. DESCRIPTION_JSON goes to
#   --cli-input-json, where aws-cli never reads file:// values.
ensure_role() {
    local name=$1 path=$2 duration=$3 description=$4 boundary=$5 tags=$6 tag_keys=$7 trust=$8
    local stale same_trust same_settings same_boundary same_tags
    local -a changed=()
    if [ "${role_exists[$name]}" = 1 ]; then
        role_is_current "$name" "$duration" "$description" "$boundary" "$tags" "$trust"
        IFS=$'\t' read -r same_trust same_settings same_boundary same_tags <"$output" || true
        if [ "$same_trust" != True ]; then
            aws iam update-assume-role-policy --role-name="$name" --policy-document "$trust"
            changed+=("trust policy")
        fi
        if [ "$same_settings" != True ]; then
            aws iam update-role --role-name="$name" --max-session-duration "$duration" --cli-input-json "$description"
            changed+=("description and session duration")
        fi
        if [ "$same_boundary" != True ]; then
            if [ -n "$boundary" ]; then
                aws iam put-role-permissions-boundary --role-name="$name" --permissions-boundary "$boundary"
            else
                aws_unless_missing iam delete-role-permissions-boundary --role-name="$name" || true
            fi
            changed+=("permissions boundary")
        fi
        if [ "$same_tags" != True ]; then
            # Stale tags go first, so the role never holds more than IAM's 50 on the way.
            stale=$(aws iam list-role-tags --role-name="$name" --query "Tags[?!contains(\`$tag_keys\`, Key)].Key" --output json)
            if [ "$(printf '%s' "$stale" | tr -d ' \n')" != '[]' ]; then
                aws iam untag-role --role-name="$name" --tag-keys "$stale"
            fi
            aws iam tag-role --role-name="$name" --tags "$tags"
            changed+=("tags")
        fi
        if [ "${#changed[@]}" -eq 0 ]; then
            echo "role $name is up to date"
        else
            echo "updated role $name: $(printf '%s, ' "${changed[@]}" | sed 's/, $//')"
        fi
    else
        local create=(iam create-role --role-name="$name" --path "$path"
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
# role; other inline policies are left as they are. A policy of that name that holds other
# grants is replaced, and the summary shows what it held: on a shared role that is where another
# spec defining the same runner name shows (a runner's name is its identity in an account).
put_inline_policy() {
    local name=$1 policy=$2 document=$3 previous=''
    if aws_unless_missing iam get-role-policy --role-name="$name" --policy-name="$policy" \
        --query PolicyDocument --output json; then
        previous=$(tr -d ' \n\t\r' <"$output")
        if [ "$previous" = "$(printf '%s' "$document" | tr -d ' \n\t\r')" ]; then
            echo "inline policy $policy on $name is up to date"
            return 0
        fi
    fi
    aws iam put-role-policy --role-name="$name" --policy-name="$policy" --policy-document "$document"
    if [ -z "$previous" ]; then
        echo "put inline policy $policy on $name"
    else
        echo "replaced inline policy $policy on $name; it held other grants (an older build of runner $RUNNER, or another spec that defines a runner named $RUNNER):"
        printf '  %s\n' "$previous"
    fi
}

# remove_inline_policy NAME POLICY_NAME: removes runnerc's inline policy from the role, if it
# is there (the spec grants the role nothing inline, or the runner is being removed).
remove_inline_policy() {
    if [ "${role_exists[$1]:-1}" = 0 ]; then
        echo "role $1 is not there; nothing to remove"
        return 0
    fi
    if aws_unless_missing iam delete-role-policy --role-name="$1" --policy-name="$2"; then
        echo "removed inline policy $2 from $1"
    fi
}

# attach_managed_policies NAME ARN...: detaches the managed policies the spec no longer lists,
# then attaches each ARN the role does not hold yet; a role that holds exactly these is told
# "up to date" and nothing is written.
attach_managed_policies() {
    local name=$1 arn listing held wanted changes=0
    local -a attached=()
    shift
    listing=$(aws iam list-attached-role-policies --role-name="$name" \
        --query "AttachedPolicies[].PolicyArn" --output text)
    # Into an array, one ARN a field: no ARN is split or read as a glob pattern.
    read -r -d '' -a attached <<<"$listing" || true
    for held in "${attached[@]}"; do
        for wanted in "$@"; do
            [ "$held" = "$wanted" ] && continue 2
        done
        aws iam detach-role-policy --role-name="$name" --policy-arn="$held"
        echo "detached $held from $name"
        changes=$((changes + 1))
    done
    for arn in "$@"; do
        for held in "${attached[@]}"; do
            [ "$held" = "$arn" ] && continue 2
        done
        aws iam attach-role-policy --role-name="$name" --policy-arn="$arn"
        echo "attached $arn to $name"
        changes=$((changes + 1))
    done
    if [ "$changes" = 0 ] && [ "$#" -gt 0 ]; then
        echo "managed policies on $name are up to date"
    fi
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
    if aws_unless_missing iam delete-role-policy --role-name="$name" --policy-name="$INLINE_POLICY_NAME"; then
        echo "removed inline policy $INLINE_POLICY_NAME from $name"
    fi
    for arn in "$@"; do
        if aws_unless_missing iam detach-role-policy --role-name="$name" --policy-arn="$arn"; then
            echo "detached $arn from $name"
        fi
    done
    if aws_unless_missing iam delete-role --role-name="$name"; then
        echo "deleted role $name"
    else
        echo "role $name is already gone"
    fi
}
