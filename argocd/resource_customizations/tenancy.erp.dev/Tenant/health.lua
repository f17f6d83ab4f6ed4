-- Argo CD health check for tenancy.erp.dev resources (Tenant, DatabaseServer), following
-- kstatus: a status written for an older generation says nothing about the current spec,
-- Stalled=True means the operator gave up until the spec changes, Ready=True is healthy.
-- Installed through argocd-cm, where Argo CD opens only the base, table and a safe os
-- library: no string or math functions, so only `..` and tostring are used below.
local hs = {}

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, condition in ipairs(conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

-- The condition's message, or its reason when the message is empty.
local function describe(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  if condition.reason ~= nil then
    return condition.reason
  end
  return ""
end

local status = obj.status
local conditions = nil
if status ~= nil then
  conditions = status.conditions
end
local ready = findCondition(conditions, "Ready")

-- Deleting: the finalizer tenancy.erp.dev/cleanup is still working (or retrying a failed
-- cleanup step, which the Ready condition then describes).
if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  if ready ~= nil and ready.status == "False" and describe(ready) ~= "" then
    hs.message = "Deleting: " .. describe(ready)
  else
    hs.message = "Deleting"
  end
  return hs
end

local generation = obj.metadata.generation
if status == nil or status.observedGeneration == nil or status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local stalled = findCondition(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end

hs.status = "Progressing"
if ready ~= nil and describe(ready) ~= "" then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the Ready condition"
end
return hs
