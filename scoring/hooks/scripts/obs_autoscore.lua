-- OBS Studio script (Lua, nothing else to install): scores each recording, split segment and saved replay
-- with autoscore. Install with `autoscore hooks install obs`, then in OBS: Tools > Scripts > + and pick it.
-- The twin of obs_autoscore.py, event for event:
--  * a recording is scored when it stops; with file splitting on, each segment once the next one starts;
--  * a saved replay is scored as soon as OBS reports it saved;
--  * with "Automatically remux to MP4" on, autoscore waits for the remuxed copy OBS makes of each file and
--    scores it instead (the recording itself if none appears in 30 s).
-- The autoscore command is a property of the script (left empty: the one `hooks install` wrote in, or
-- AUTOSCORE_COMMAND from the environment). autoscore runs in the background; what is scored is printed to
-- the script log (Tools > Scripts > Script Log), and what autoscore prints goes to autoscore-hook.log in the
-- temporary folder.

local obs = obslua
local AUTOSCORE_COMMAND = { "autoscore" }  -- `autoscore hooks install` writes the full command here
local REMUX_TO = "mp4"
local WINDOWS = package.config:sub(1, 1) == "\\"
-- what autoscore prints, in the temporary folder
local LOG = (os.getenv("TMPDIR") or os.getenv("TEMP") or (WINDOWS and "." or "/tmp")) ..
  (WINDOWS and "\\" or "/") .. "autoscore-hook.log"
local state = { command = "", current = nil, scored = {} }

local function quote(text)
  if WINDOWS then return '"' .. text .. '"' end
  return "'" .. string.gsub(text, "'", "'\\''") .. "'"
end

function script_description()
  return "Scores each recording, split segment and saved replay with autoscore (music fitted to the picture, " ..
    "mixed under it)."
end

function script_properties()
  local props = obs.obs_properties_create()
  obs.obs_properties_add_path(props, "command", "autoscore command (empty: the installed one)",
    obs.OBS_PATH_FILE, "", nil)
  return props
end

function script_update(settings)
  state.command = obs.obs_data_get_string(settings, "command") or ""
end

local function command_words()
  if state.command ~= "" then return { quote(state.command) } end
  local override = os.getenv("AUTOSCORE_COMMAND")  -- a command line as the shell reads it
  if override and override ~= "" then return { override } end
  local words = {}
  for _, word in ipairs(AUTOSCORE_COMMAND) do words[#words + 1] = quote(word) end
  return words
end

local function remux_on()
  local config = obs.obs_frontend_get_profile_config()
  return config ~= nil and obs.config_get_bool(config, "Video", "AutoRemux") == true
end

local function launch(path, remux)
  if path == nil or path == "" or state.scored[path] then return false end
  state.scored[path] = true
  local words = command_words()
  words[#words + 1] = "hook"
  words[#words + 1] = quote(path)
  if remux then
    words[#words + 1] = "--remuxed-as"
    words[#words + 1] = REMUX_TO
  end
  local line = table.concat(words, " ")
  print("autoscore: scoring " .. path .. " in the background" .. (remux and " (its remuxed copy)" or ""))
  if WINDOWS then
    os.execute('start "" /B ' .. line .. " >> " .. quote(LOG) .. " 2>&1")
  else
    os.execute("nohup " .. line .. " >> " .. quote(LOG) .. " 2>&1 </dev/null &")
  end
  return true
end

local function on_event(kind)
  if kind == obs.OBS_FRONTEND_EVENT_RECORDING_STARTED then
    -- a new recording may reuse a path (OBS can overwrite): only within one recording is a path scored once
    state.current, state.scored = obs.obs_frontend_get_last_recording(), {}
  elseif kind ~= nil and kind == obs.OBS_FRONTEND_EVENT_RECORDING_FILE_CHANGED then
    local closed = state.current
    state.current = obs.obs_frontend_get_last_recording()
    if closed ~= nil and closed ~= state.current then launch(closed, remux_on()) end  -- the segment just closed
  elseif kind == obs.OBS_FRONTEND_EVENT_RECORDING_STOPPED then
    local last = obs.obs_frontend_get_last_recording() or state.current
    state.current = nil
    if last == nil or last == "" then
      print("autoscore: OBS reported no last recording; nothing to score")
    else
      launch(last, remux_on())
    end
  elseif kind ~= nil and kind == obs.OBS_FRONTEND_EVENT_REPLAY_BUFFER_SAVED then
    local replay = obs.obs_frontend_get_last_replay()
    if replay == nil or replay == "" then
      print("autoscore: OBS reported no saved replay; nothing to score")
    else
      launch(replay, remux_on())
    end
  end
end

function script_load(settings)
  script_update(settings)
  obs.obs_frontend_add_event_callback(on_event)
end

function script_unload()
  obs.obs_frontend_remove_event_callback(on_event)
end
