-- DaVinci Resolve Deliver "end of render job" script (Lua): scores each finished render with autoscore.
-- Install with `autoscore hooks install resolve --lua`, then pick it in Deliver > Render Settings >
-- Advanced Settings > "Trigger script at: End of render job". Resolve sets the globals `job`, `status`,
-- `error` and `resolve`. The output path comes from project:GetRenderJobList(); autoscore runs in the
-- background. Set AUTOSCORE_COMMAND to the autoscore executable if it is not on Resolve's PATH.

local function shell_quote(text)
  return "'" .. string.gsub(text, "'", "'\\''") .. "'"
end

local function output_of(app, job_id)
  local project = app:GetProjectManager():GetCurrentProject()
  for _, render_job in pairs(project:GetRenderJobList() or {}) do
    if render_job["JobId"] == job_id then
      local folder = render_job["TargetDir"] or ""
      local sep = package.config:sub(1, 1)
      if folder ~= "" and folder:sub(-1) ~= sep then folder = folder .. sep end
      return folder .. (render_job["OutputFilename"] or "")
    end
  end
  return nil
end

local function launch(path)
  local command = os.getenv("AUTOSCORE_COMMAND") or "autoscore"
  if package.config:sub(1, 1) == "\\" then
    return os.execute('start "" /B ' .. command .. ' hook "' .. path .. '"')
  end
  return os.execute(command .. " hook " .. shell_quote(path) .. " >/dev/null 2>&1 &")
end

if status ~= "Complete" then
  print("autoscore: render job " .. tostring(job) .. " ended " .. tostring(status) .. " (" .. tostring(error) .. "); nothing to score")
else
  local path = output_of(resolve, job)
  if path == nil then
    print("autoscore: render job " .. tostring(job) .. " not found in the project's render jobs")
  else
    print("autoscore: scoring " .. path .. " in the background")
    launch(path)
  end
end
