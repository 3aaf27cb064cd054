-- DaVinci Resolve Deliver "end of render job" script (Lua): scores each finished render with autoscore.
-- Install with `autoscore hooks install resolve-lua`, then pick it in Deliver > Render Settings >
-- Advanced Settings > "Trigger script at: End of render job". Resolve sets the globals `job`, `status`
-- (what the trigger saw: "RenderCompleted", "RenderFailed"...), `error` and `resolve`.
-- The twin of resolve_autoscore.py, decision for decision: whether the job finished is read from
-- project:GetRenderJobStatus(job).JobStatus (Complete, Failed, Cancelled), the trigger's status where that
-- says nothing; a single clip is TargetDir/OutputFilename; "Individual clips" (OutputFilename is the first
-- clip with " and more") scores every video the job wrote into TargetDir since it started. autoscore runs
-- in the background; what is scored, or skipped and why, is printed to Resolve's Console, and what autoscore
-- prints goes to autoscore-hook.log in the temporary folder.

local AUTOSCORE_COMMAND = { "autoscore" }  -- `autoscore hooks install` writes the full command here
local INDIVIDUAL_SUFFIX = " and more"
local WINDOWS = package.config:sub(1, 1) == "\\"
-- what autoscore prints, in the temporary folder
local LOG = (os.getenv("TMPDIR") or os.getenv("TEMP") or (WINDOWS and "." or "/tmp")) ..
  (WINDOWS and "\\" or "/") .. "autoscore-hook.log"

local function is_one_of(value, list)
  for _, item in ipairs(list) do
    if value == item then return true end
  end
  return false
end

local FINISHED = { "Complete", "RenderCompleted" }
local NOT_FINISHED = { "Failed", "Cancelled", "RenderFailed", "RenderCancelled" }

local function quote(text)
  if WINDOWS then return '"' .. text .. '"' end
  return "'" .. string.gsub(text, "'", "'\\''") .. "'"
end

local function ends_with(text, suffix)
  return suffix == "" or text:sub(-#suffix) == suffix
end

local function join(folder, name)
  local sep = package.config:sub(1, 1)
  if folder ~= "" and not ends_with(folder, sep) and not ends_with(folder, "/") then folder = folder .. sep end
  return folder .. name
end

local function render_job(project, job_id)
  for _, entry in pairs(project:GetRenderJobList() or {}) do
    if entry["JobId"] == job_id then return entry end
  end
  return nil
end

-- the arguments for `autoscore hook` (or nil), and a line saying what is done and why
local function decide(project, job_id, trigger_status, now)
  local info = project:GetRenderJobStatus(job_id) or {}
  local job_status = info["JobStatus"]
  if is_one_of(job_status, NOT_FINISHED) or is_one_of(trigger_status, NOT_FINISHED) then
    return nil, "render job " .. tostring(job_id) .. " ended " .. tostring(job_status or trigger_status) ..
      ": nothing to score"
  end
  if job_status ~= "Complete" and not is_one_of(trigger_status, FINISHED) then
    return nil, "render job " .. tostring(job_id) .. " reads " .. tostring(job_status) .. " (trigger status " ..
      tostring(trigger_status) .. "), not finished: nothing to score"
  end
  local entry = render_job(project, job_id)
  if entry == nil then
    return nil, "render job " .. tostring(job_id) .. " is not in the project's render jobs: nothing to score"
  end
  local folder, name = entry["TargetDir"] or "", entry["OutputFilename"] or ""
  local individual = entry["RenderMode"] == "Individual clips" or ends_with(name, INDIVIDUAL_SUFFIX)
  if not individual then
    local path = join(folder, name)
    return { path }, "scoring " .. path
  end
  local taken_ms = tonumber(info["TimeTakenToRenderInMs"])
  if taken_ms and taken_ms > 0 then
    local started = (now or os.time()) - taken_ms / 1000.0
    return { "--new-in", folder, "--since", string.format("%.3f", started) },
      "scoring every clip render job " .. tostring(job_id) .. " wrote into " .. folder
  end
  if ends_with(name, INDIVIDUAL_SUFFIX) then name = name:sub(1, #name - #INDIVIDUAL_SUFFIX) end
  local first = join(folder, name)
  return { first }, "Resolve gave no render time for job " .. tostring(job_id) ..
    ", so its other clips cannot be told from older files: scoring only " .. first
end

local function command_line(arguments)
  local words = {}
  local override = os.getenv("AUTOSCORE_COMMAND")  -- a command line as the shell reads it
  if override and override ~= "" then
    words[1] = override
  else
    for _, word in ipairs(AUTOSCORE_COMMAND) do words[#words + 1] = quote(word) end
  end
  words[#words + 1] = "hook"
  for _, word in ipairs(arguments) do words[#words + 1] = quote(word) end
  return table.concat(words, " ")
end

-- `autoscore hook ARGUMENTS`, detached: Resolve waits for nothing
local function launch(arguments)
  if WINDOWS then
    return os.execute('start "" /B ' .. command_line(arguments) .. " >> " .. quote(LOG) .. " 2>&1")
  end
  return os.execute("nohup " .. command_line(arguments) .. " >> " .. quote(LOG) .. " 2>&1 </dev/null &")
end

local function main(app, job_id, trigger_status, job_error)
  local project = app:GetProjectManager():GetCurrentProject()
  local arguments, line = decide(project, job_id, trigger_status)
  if arguments == nil and type(job_error) == "string" and job_error ~= "" then line = line .. " (" .. job_error .. ")" end
  print("autoscore: " .. line)
  if arguments ~= nil then launch(arguments) end
end

if job ~= nil and resolve ~= nil then  -- run by Resolve, which sets these globals (`error` may be Lua's own)
  main(resolve, job, status, error)
end
