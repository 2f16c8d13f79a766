"""pjsua2 soft phones for integration tests: register, call, answer, count the audio they receive.

pjsua2 has one library instance per process, polled from the test's thread (no threads of its own).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pjsua2 as pj

from tests.integration.stack import PATIENCE

T = TypeVar("T")


class PhoneCall(pj.Call):  # type: ignore[misc]
    def __init__(self, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(account, call_id)
        self.state = pj.PJSIP_INV_STATE_NULL
        self.last_status = 0
        # A WAV file the phone plays, over and over, once media is up (a caller speaking a message).
        self.speech: Path | None = None
        self.player: pj.AudioMediaPlayer | None = None
        self.recorder: pj.AudioMediaRecorder | None = None
        # Keypad digits received from the far end (RFC 4733 or SIP INFO).
        self.digits_received = ""

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        self.digits_received += prm.digit

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.state = info.state
        self.last_status = info.lastStatusCode

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        if self.speech is None:
            return
        # Keep the CallInfo alive: its media vector dangles once a temporary CallInfo is gone.
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.player = pj.AudioMediaPlayer()
                # Looped: the caller keeps talking until the test hangs up.
                self.player.createPlayer(str(self.speech), 0)
                self.player.startTransmit(self.getAudioMedia(index))

    def press(self, digits: str) -> None:
        """Keypad digits as SIP INFO. (pjsua2's RFC 4733 digits reach Asterisk only on a process's first
        call: later calls lose them, whatever was negotiated.)"""
        parameters = pj.CallSendDtmfParam()
        parameters.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        parameters.digits = digits
        self.sendDtmf(parameters)

    def hang_up(self) -> None:
        if not self.disconnected:
            self.hangup(pj.CallOpParam(True))

    def record_to(self, path: Path) -> None:
        """Everything the phone hears from now on, into a WAV file (until the call ends)."""
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(str(path))
        self.getAudioMedia(-1).startTransmit(self.recorder)

    def stop_recording(self) -> None:
        """Ends :meth:`record_to` while the call is up; the WAV file is complete once this returns."""
        if self.recorder is None:
            return
        self.getAudioMedia(-1).stopTransmit(self.recorder)
        # pjmedia writes the WAV header when the recorder is destroyed.
        self.recorder = None
        gc.collect()

    def received_packets(self) -> int:
        """RTP packets received so far on the audio stream (0 before media starts or after it ends)."""
        try:
            return int(self.getStreamStat(0).rtcp.rxStat.pkt)
        except pj.Error:
            return 0

    @property
    def disconnected(self) -> bool:
        return bool(self.state == pj.PJSIP_INV_STATE_DISCONNECTED)


class PhoneAccount(pj.Account):  # type: ignore[misc]
    """A registered phone; with auto_answer it answers every call, as an agent's phone set to do so."""

    def __init__(self, auto_answer: bool = False) -> None:
        super().__init__()
        self.registration_status = 0
        self.auto_answer = auto_answer
        self.incoming: list[PhoneCall] = []
        # What the phone's user says into every call it answers (None: a silent microphone, no audio).
        self.speech: Path | None = None

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self.registration_status = prm.code

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = PhoneCall(self, prm.callId)
        call.speech = self.speech
        self.incoming.append(call)
        answer = pj.CallOpParam()
        answer.statusCode = 200 if self.auto_answer else 180
        call.answer(answer)


class PublicNetwork(pj.Account):  # type: ignore[misc]
    """The public phone network behind Asterisk's trunk: answers calls to any number, as the phone of
    that number would, per ``behaviour[number]``:

    * "accept": answers and presses 1 (again and again, since keys pressed during the whisper's
      announcements are lost, until ``stop_pressing`` names the call),
    * "decline": answers and presses 2, the same way,
    * "voicemail": answers and presses nothing (a mobile's voicemail),
    * "no-answer": rings and never answers,
    * "busy": 486 Busy Here.
    """

    def __init__(self) -> None:
        super().__init__()
        self.behaviour: dict[str, str] = {}
        self.incoming: list[tuple[str, PhoneCall]] = []
        self.stop_pressing: set[int] = set()
        self._next_press = 0.0
        # What an expert says once answered (phones with a silent microphone send no audio at all).
        self.speech: Path | None = None

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = PhoneCall(self, prm.callId)
        call.speech = self.speech
        number = call.getInfo().localUri.split("sip:", 1)[1].split("@", 1)[0]
        self.incoming.append((number, call))
        what = self.behaviour.get(number, "no-answer")
        answer = pj.CallOpParam()
        answer.statusCode = {"busy": 486, "no-answer": 180}.get(what, 200)
        call.answer(answer)

    def calls_to(self, number: str) -> list[PhoneCall]:
        return [call for dialled, call in self.incoming if dialled == number]

    def press_keys(self) -> None:
        """Called while the phones are polled: confirm keys for the answered calls that want them."""
        if time.monotonic() < self._next_press:
            return
        self._next_press = time.monotonic() + 0.7
        for index, (number, call) in enumerate(self.incoming):
            key = {"accept": "1", "decline": "2"}.get(self.behaviour.get(number, ""))
            if key and call.state == pj.PJSIP_INV_STATE_CONFIRMED and index not in self.stop_pressing:
                with contextlib.suppress(pj.Error):
                    call.press(key)

    def stop_keys(self, call: PhoneCall) -> None:
        self.stop_pressing.update(i for i, (_n, c) in enumerate(self.incoming) if c is call)


class Phones:
    def __init__(self) -> None:
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        config = pj.EpConfig()
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.userAgent = "cc12348-test-phone"
        # Callers, agents, experts and consultations at once.
        config.uaConfig.maxCalls = 16
        self.endpoint.libInit(config)
        transport = pj.TransportConfig()
        transport.port = 0
        transport.boundAddress = "127.0.0.1"
        self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        self._accounts: list[pj.Account] = []
        self.network: PublicNetwork | None = None
        self._retired: list[PhoneAccount] = []
        self._calls: list[PhoneCall] = []

    def register(
        self, server: str, username: str, password: str, number: str, auto_answer: bool = False
    ) -> PhoneAccount:
        config = pj.AccountConfig()
        config.idUri = f"sip:{number}@127.0.0.1"
        config.regConfig.registrarUri = f"sip:{server}"
        config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
        account = PhoneAccount(auto_answer)
        account.create(config)
        self._accounts.append(account)
        self.wait_for(lambda: account.registration_status != 0, 10)
        return account

    def caller(self, username: str, password: str, number: str) -> PhoneAccount:
        """A caller from the public network: no registration, digest credentials, From user = number."""
        config = pj.AccountConfig()
        config.idUri = f"sip:{number}@127.0.0.1"
        config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", username, 0, password))
        account = PhoneAccount()
        account.create(config)
        self._accounts.append(account)
        return account

    def public_network(self, host: str, port: int) -> PublicNetwork:
        """The phone network's side of the trunk, on its own transport at ``host``:``port``.

        ``host`` must differ from the agents' 127.0.0.1: pjsua gives an incoming call whose user no
        account claims to the first account of the same host, which would be an agent's phone.
        """
        transport = pj.TransportConfig()
        transport.port = port
        transport.boundAddress = host
        transport_id = self.endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        config = pj.AccountConfig()
        config.idUri = f"sip:network@{host}:{port}"
        config.sipConfig.transportId = transport_id
        network = PublicNetwork()
        network.create(config)
        # Calls to numbers no account claims land here.
        network.setDefault()
        self._accounts.append(network)
        self.network = network
        return network

    def unregister(self, account: PhoneAccount) -> None:
        account.shutdown()
        self._accounts.remove(account)
        # Kept referenced: pjsua2 reuses the account's id, and the destructor of a collected Python
        # account would delete whichever account holds that id by then.
        self._retired.append(account)

    def call(self, account: PhoneAccount, uri: str, speech: Path | None = None) -> PhoneCall:
        call = PhoneCall(account)
        call.speech = speech
        parameters = pj.CallOpParam(True)
        call.makeCall(uri, parameters)
        self._calls.append(call)
        return call

    def wait_for(self, condition: Callable[[], T | None], seconds: float, interval: float = 0.0) -> T:
        """Poll a condition while the phones keep working (they only act when polled)."""
        deadline = time.monotonic() + seconds * PATIENCE
        next_check = 0.0
        while True:
            if time.monotonic() >= next_check:
                value = condition()
                if value:
                    return value
                next_check = time.monotonic() + interval
            if time.monotonic() > deadline:
                raise AssertionError(f"phone condition not met within {seconds * PATIENCE} s")
            self._poll()

    def idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._poll()

    def _poll(self) -> None:
        self.endpoint.libHandleEvents(10)
        if self.network is not None:
            self.network.press_keys()

    def close(self) -> None:
        self.endpoint.hangupAllCalls()
        for _ in range(50):
            self.endpoint.libHandleEvents(10)
        for account in self._accounts:
            account.shutdown()
        # A pjsua2 object destroyed after the library aborts the process; tests may still hold some
        # (a failed test's frames), so Python is told not to destroy any that are left.
        self._calls.clear()
        self._accounts.clear()
        gc.collect()
        for leftover in gc.get_objects():
            if isinstance(leftover, pj.Call | pj.Account | pj.AudioMediaPlayer):
                leftover.thisown = False
        self.endpoint.libDestroy()
