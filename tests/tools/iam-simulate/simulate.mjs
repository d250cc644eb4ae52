#!/usr/bin/env node
// External test tool for runnerc: evaluates IAM identity policies with
// @cloud-copilot/iam-simulate (AGPL-3.0). It runs as a separate process only;
// nothing here is linked into or shipped with the runnerc crate.
//
// stdin:  JSON array of {id, principal, policies, action, resource, context, resourcePolicy?}
// stdout: JSON array (same order) of {id, decision: "allowed"|"denied"|"error", detail}
// Exit status: 0, or 2 when stdin is not valid JSON (or not a JSON array).
// See README.md in this folder for the quirks of the simulator.

import {
  isConditionKeyArray,
  runSimulation,
  typeForContextKey
} from '@cloud-copilot/iam-simulate'

const ARN_ACCOUNT = /^\d{12}$/

// Condition operators the simulator implements (it compares them
// case-insensitively). An unknown operator is NOT a validation error in the
// simulator: the condition simply never matches, which silently disables a
// Deny statement. AWS rejects such policies, so we report "error".
const BASE_OPERATORS = new Set(
  [
    'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase',
    'StringLike', 'StringNotLike', 'NumericEquals', 'NumericNotEquals', 'NumericLessThan',
    'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals', 'DateEquals',
    'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan',
    'DateGreaterThanEquals', 'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals',
    'ArnLike', 'ArnNotEquals', 'ArnNotLike'
  ].map((o) => o.toLowerCase())
)

function operatorProblem(op) {
  let rest = op
  const colon = op.indexOf(':')
  if (colon !== -1) {
    const set = op.slice(0, colon).toLowerCase()
    if (set !== 'forallvalues' && set !== 'foranyvalue') return 'unknown set operator'
    rest = op.slice(colon + 1)
  }
  if (rest.toLowerCase() === 'null') return colon === -1 ? undefined : 'Null cannot take a set operator'
  if (rest.toLowerCase().endsWith('ifexists')) rest = rest.slice(0, -'IfExists'.length)
  return BASE_OPERATORS.has(rest.toLowerCase()) ? undefined : 'unknown condition operator'
}

function statementsOf(policy) {
  if (!policy || typeof policy !== 'object') return []
  const st = policy.Statement
  return (Array.isArray(st) ? st : [st]).filter((s) => s && typeof s === 'object')
}

// Returns {errors, warnings} about condition blocks the simulator does not check.
async function checkConditions(policies) {
  const errors = []
  const warnings = []
  for (const [pi, policy] of policies.entries()) {
    for (const [si, st] of statementsOf(policy).entries()) {
      const cond = st.Condition
      if (!cond || typeof cond !== 'object' || Array.isArray(cond)) continue
      for (const [op, block] of Object.entries(cond)) {
        const where = `policy-${pi} Statement[${si}] ${op}`
        const problem = operatorProblem(op)
        if (problem) errors.push(`${where}: ${problem}`)
        if (!block || typeof block !== 'object') continue
        for (const key of Object.keys(block)) {
          try {
            await typeForContextKey(key)
          } catch {
            warnings.push(`${where}: condition key ${key} is not in the simulator's service data (condition can only match if the key is missing-tolerant)`)
          }
        }
      }
    }
  }
  return { errors, warnings }
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

function arnParts(arn) {
  const parts = arn.split(':')
  if (parts.length < 6 || parts[0] !== 'arn') return undefined
  return {
    partition: parts[1],
    service: parts[2],
    region: parts[3],
    account: parts[4],
    resource: parts.slice(5).join(':')
  }
}

function errorResult(id, message, extra = {}) {
  return { id, decision: 'error', detail: { message, ...extra } }
}

// Context values arrive as arrays of strings. One value -> plain string, several
// -> array. The simulator itself coerces by the key's type in its service data:
// ArrayOf* keys always become arrays, but for a single-valued key it silently
// keeps only the FIRST element of an array; we report that case as an error.
async function buildContext(context) {
  const out = {}
  for (const [key, values] of Object.entries(context)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw new Error(`context key ${key}: value must be an array of strings`)
    }
    if (values.length === 0) {
      throw new Error(`context key ${key}: empty array (omit the key instead)`)
    }
    let keyType
    try {
      keyType = await typeForContextKey(key)
    } catch {
      keyType = undefined // unknown key: the simulator will ignore it (ignoredContextKeys)
    }
    if (values.length > 1 && keyType !== undefined && !isConditionKeyArray(keyType)) {
      throw new Error(
        `context key ${key} is single-valued (${keyType}) but ${values.length} values were given; ` +
          'the simulator would silently use only the first'
      )
    }
    out[key] = values.length === 1 && !(keyType && isConditionKeyArray(keyType)) ? values[0] : values
  }
  return out
}

function statementExplains(statements) {
  return (statements ?? []).map((s) => ({ policy: s.policyId, ...s.explain }))
}

async function simulateOne(item, index) {
  const id = item && typeof item === 'object' && typeof item.id === 'string' ? item.id : `#${index}`
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    return errorResult(id, 'request item must be an object')
  }
  for (const field of ['id', 'principal', 'action', 'resource']) {
    if (typeof item[field] !== 'string') return errorResult(id, `field ${field} must be a string`)
  }
  if (!Array.isArray(item.policies)) return errorResult(id, 'field policies must be an array')
  const context = item.context ?? {}
  if (typeof context !== 'object' || Array.isArray(context) || context === null) {
    return errorResult(id, 'field context must be an object')
  }

  const principal = arnParts(item.principal)
  if (
    !principal ||
    (principal.service !== 'iam' && principal.service !== 'sts') ||
    !ARN_ACCOUNT.test(principal.account)
  ) {
    return errorResult(id, `principal is not an IAM/STS ARN with a 12-digit account: ${item.principal}`)
  }

  // Resource account: the ARN's account field; else (S3 ARNs and "*" have none)
  // s3:ResourceAccount from the context; else the principal's account.
  // A resource account different from the principal's makes the request
  // cross-account, which is denied without a resource policy.
  const resource = arnParts(item.resource)
  if (!resource && item.resource !== '*') {
    return errorResult(id, `resource is neither an ARN nor "*": ${item.resource}`)
  }
  let resourceAccount = principal.account
  let resourceAccountSource = 'principal'
  if (resource && resource.account && !resource.account.includes('*')) {
    resourceAccount = resource.account
    resourceAccountSource = 'resource-arn'
  } else {
    const ra = Object.entries(context).find(([k]) => k.toLowerCase() === 's3:resourceaccount')
    if (ra && Array.isArray(ra[1]) && typeof ra[1][0] === 'string') {
      resourceAccount = ra[1][0]
      resourceAccountSource = 's3:ResourceAccount'
    }
  }

  const { errors: conditionErrors, warnings } = await checkConditions(item.policies)
  if (conditionErrors.length > 0) {
    return errorResult(id, 'invalid condition operator', { errors: conditionErrors })
  }

  let contextVariables
  try {
    contextVariables = await buildContext(context)
  } catch (e) {
    return errorResult(id, e.message)
  }

  // KMS key ARNs only honour identity policies when the key policy delegates to
  // the account, as the AWS default key policy does. The simulator models that,
  // so without a key policy every request on a KMS key ARN is implicitly denied.
  // Supply the AWS default key policy ("Enable IAM User Permissions") for the
  // resource account. (Same-account "*" requests need no key policy.)
  const service = item.action.split(':')[0]?.toLowerCase()
  // A resource policy given with the request (a bucket, key or secret policy) is the
  // resource's own; otherwise a KMS key gets the AWS default key policy below.
  let resourcePolicy = item.resourcePolicy
  const givenResourcePolicy = resourcePolicy !== undefined
  if (!givenResourcePolicy && service === 'kms' && resource && resource.resource.toLowerCase().startsWith('key/')) {
    const partition = resource.partition
    resourcePolicy = {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [
        {
          Sid: 'Enable IAM User Permissions',
          Effect: 'Allow',
          Principal: { AWS: `arn:${partition}:iam::${resourceAccount}:root` },
          Action: 'kms:*',
          Resource: '*'
        }
      ]
    }
  }

  const simulation = {
    request: {
      principal: item.principal,
      action: item.action,
      resource: { resource: item.resource, accountId: resourceAccount },
      contextVariables
    },
    identityPolicies: item.policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {})
  }

  let response
  try {
    response = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (e) {
    return errorResult(id, `simulator threw: ${e?.message ?? String(e)}`)
  }

  if (response.resultType === 'error') {
    return errorResult(id, response.errors.message, { errors: response.errors })
  }
  const common = {
    result: response.overallResult,
    resultType: response.resultType,
    resourceAccount,
    resourceAccountSource,
    contextPassed: contextVariables,
    ...(resourcePolicy && !givenResourcePolicy ? { injectedKmsDefaultKeyPolicy: true } : {}),
    ...(warnings.length > 0 ? { warnings } : {})
  }
  if (response.resultType === 'wildcard') {
    // Only happens when the request resource contains "*" and the action is
    // not a wildcard-only action: the simulator evaluates several patterns.
    common.results = response.results.map((r) => ({
      resourcePattern: r.resourcePattern,
      resourceType: r.resourceType,
      result: r.analysis.result,
      ignoredContextKeys: r.ignoredContextKeys
    }))
  } else {
    const r = response.result
    const ia = r.analysis.identityAnalysis
    common.resourceType = r.resourceType
    common.ignoredContextKeys = r.ignoredContextKeys ?? []
    if (r.analysis.blockedBy) common.blockedBy = r.analysis.blockedBy
    common.sameAccount = r.analysis.sameAccount
    common.identity = {
      result: ia?.result,
      allow: statementExplains(ia?.allowStatements),
      deny: statementExplains(ia?.denyStatements),
      unmatched: statementExplains(ia?.unmatchedStatements)
    }
  }
  switch (response.overallResult) {
    case 'Allowed':
      return { id, decision: 'allowed', detail: common }
    case 'ExplicitlyDenied':
    case 'ImplicitlyDenied':
      return { id, decision: 'denied', detail: common }
    default:
      return errorResult(id, `unexpected simulator result ${response.overallResult}`, common)
  }
}

const text = await readStdin()
let requests
try {
  requests = JSON.parse(text)
} catch (e) {
  process.stderr.write(`simulate.mjs: stdin is not valid JSON: ${e.message}\n`)
  process.exit(2)
}
if (!Array.isArray(requests)) {
  process.stderr.write('simulate.mjs: stdin must be a JSON array of requests\n')
  process.exit(2)
}
const results = []
for (let i = 0; i < requests.length; i++) {
  results.push(await simulateOne(requests[i], i))
}
process.stdout.write(JSON.stringify(results, null, 2) + '\n')
