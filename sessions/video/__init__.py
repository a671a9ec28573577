"""Audio and video for groups that meet online, through a WebRTC server the organisation runs (Janus)
or a meeting service it already has (Jitsi Meet, BigBlueButton). Media never passes through Mend."""
